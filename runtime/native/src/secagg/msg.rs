//! The messages of secure aggregation and their binary encoding.
//!
//! Every message is `tag u8 || body`, written and read with the toolkit's one codec
//! ([`mpc_net::codec`]): integers little-endian, byte strings and lists
//! length-prefixed with a `u32`; vectors of values are packed to the byte width of
//! their largest value (see `put_u64s`). Decoding checks every length against what remains
//! (and lists against [`super::MAX_CLIENTS`] / [`super::MAX_DIM`], byte strings
//! against [`MAX_BYTES`]) before allocating, rejects trailing bytes, and never
//! panics; its errors are [`SecaggError::Malformed`] carrying the codec's typed
//! [`CodecError`].

use mpc_net::codec::{CodecError, Reader, Writer};

use super::{Config, Modulus, SecaggError, MAX_CLIENTS, MAX_DIM};

/// The longest byte string (share or ciphertext) a message may carry; the state
/// machines then check each one's exact length.
pub const MAX_BYTES: usize = 1 << 12;

/// What a share is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ShareKind {
    /// The self-mask seed `b` of a surviving client.
    SelfMask,
    /// The mask key `s^SK` of a dropped client.
    MaskKey,
}

/// One message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// Server -> client at connection: the parameters and the client's id.
    Welcome {
        /// The session parameters.
        config: Config,
        /// The id of the receiving client.
        id: u32,
    },
    /// Round 0, client -> server.
    AdvertiseKeys {
        /// Encryption public key.
        c_pk: [u8; 32],
        /// Mask public key.
        s_pk: [u8; 32],
    },
    /// Round 0, server -> clients: every advertised key.
    KeyList {
        /// `(id, c_pk, s_pk)`, sorted by id.
        keys: Vec<(u32, [u8; 32], [u8; 32])>,
    },
    /// Round 1, client -> server: one ciphertext per other client.
    ShareKeys {
        /// The session id.
        session: [u8; 32],
        /// `(receiver, ciphertext)`.
        ciphertexts: Vec<(u32, Vec<u8>)>,
    },
    /// Round 1, server -> client: the ciphertexts addressed to it.
    Ciphertexts {
        /// The session id.
        session: [u8; 32],
        /// `(sender, ciphertext)`.
        ciphertexts: Vec<(u32, Vec<u8>)>,
    },
    /// Round 2, client -> server.
    MaskedInput {
        /// The session id.
        session: [u8; 32],
        /// `y_u`.
        values: Vec<u64>,
    },
    /// Round 3, server -> clients: who sent a masked input.
    Survivors {
        /// The session id.
        session: [u8; 32],
        /// Ids, sorted.
        ids: Vec<u32>,
    },
    /// Round 3, client -> server.
    UnmaskShares {
        /// The session id.
        session: [u8; 32],
        /// `(about, kind, encoded Shamir share)`.
        shares: Vec<(u32, ShareKind, Vec<u8>)>,
    },
    /// Server -> clients: the result.
    Sum {
        /// The session id.
        session: [u8; 32],
        /// The sum mod m.
        values: Vec<u64>,
    },
}

/// A vector as `count u32 || width u8 || count * width bytes`, each value little-endian
/// in `width` bytes, the fewest that hold the largest value (at least one). Masked
/// inputs are uniform below the modulus, so this is `ceil(log2(m) / 8)` bytes per
/// value (4 for 2^32) without the message having to carry the modulus.
fn put_u64s(w: &mut Writer, v: &[u64]) {
    let max = v.iter().copied().max().unwrap_or(0);
    let width = (8 - (max.leading_zeros() / 8) as usize).max(1);
    w.count(v.len()).u8(width as u8);
    for x in v {
        w.raw(&x.to_le_bytes()[..width]);
    }
}

fn get_u64s(r: &mut Reader<'_>) -> Result<Vec<u64>, CodecError> {
    let n = r.count(MAX_DIM as usize, 1, "value count")?;
    let at = r.position();
    let width = r.u8("value width")? as usize;
    if !(1..=8).contains(&width) {
        return Err(CodecError::BadValue { what: "value width", at });
    }
    let body = r.take(n.saturating_mul(width), "values")?;
    let values: Vec<u64> = body
        .chunks_exact(width)
        .map(|c| {
            let mut a = [0u8; 8];
            a[..width].copy_from_slice(c);
            u64::from_le_bytes(a)
        })
        .collect();
    // One encoding per vector: the width must be the fewest bytes of the largest value.
    let max = values.iter().copied().max().unwrap_or(0);
    if width != (8 - (max.leading_zeros() / 8) as usize).max(1) {
        return Err(CodecError::BadValue { what: "value width (not the fewest bytes)", at });
    }
    Ok(values)
}

fn put_id_bytes(w: &mut Writer, v: &[(u32, Vec<u8>)]) {
    w.count(v.len());
    for (id, b) in v {
        w.u32(*id).bytes(b);
    }
}

fn get_id_bytes(r: &mut Reader<'_>) -> Result<Vec<(u32, Vec<u8>)>, CodecError> {
    let n = r.count(MAX_CLIENTS as usize, 8, "ciphertext count")?;
    (0..n).map(|_| Ok((r.u32("client id")?, r.bytes(MAX_BYTES, "ciphertext")?.to_vec()))).collect()
}

impl Message {
    /// The wire form.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        match self {
            Message::Welcome { config, id } => {
                w.u8(1)
                    .u32(config.clients)
                    .u32(config.threshold)
                    .u32(config.dim)
                    .u128(config.modulus.value())
                    .u32(*id);
            }
            Message::AdvertiseKeys { c_pk, s_pk } => {
                w.u8(2).raw(c_pk).raw(s_pk);
            }
            Message::KeyList { keys } => {
                w.u8(3).count(keys.len());
                for (id, c, s) in keys {
                    w.u32(*id).raw(c).raw(s);
                }
            }
            Message::ShareKeys { session, ciphertexts } => {
                w.u8(4).raw(session);
                put_id_bytes(&mut w, ciphertexts);
            }
            Message::Ciphertexts { session, ciphertexts } => {
                w.u8(5).raw(session);
                put_id_bytes(&mut w, ciphertexts);
            }
            Message::MaskedInput { session, values } => {
                w.u8(6).raw(session);
                put_u64s(&mut w, values);
            }
            Message::Survivors { session, ids } => {
                w.u8(7).raw(session).count(ids.len());
                for id in ids {
                    w.u32(*id);
                }
            }
            Message::UnmaskShares { session, shares } => {
                w.u8(8).raw(session).count(shares.len());
                for (id, kind, b) in shares {
                    w.u32(*id)
                        .u8(match kind {
                            ShareKind::SelfMask => 1,
                            ShareKind::MaskKey => 2,
                        })
                        .bytes(b);
                }
            }
            Message::Sum { session, values } => {
                w.u8(9).raw(session);
                put_u64s(&mut w, values);
            }
        }
        w.into_bytes()
    }

    /// Parses a message; any defect is [`SecaggError::Malformed`].
    pub fn decode(bytes: &[u8]) -> Result<Message, SecaggError> {
        Message::decode_typed(bytes).map_err(|e| SecaggError::Malformed(e.to_string()))
    }

    /// [`Message::decode`] with the codec's typed error.
    pub fn decode_typed(bytes: &[u8]) -> Result<Message, CodecError> {
        let mut reader = Reader::new(bytes);
        let r = &mut reader;
        let at = r.position();
        let msg = match r.u8("message tag")? {
            1 => {
                let (clients, threshold, dim) = (r.u32("clients")?, r.u32("threshold")?, r.u32("dim")?);
                let at = r.position();
                let modulus = Modulus::new(r.u128("modulus")?)
                    .map_err(|_| CodecError::BadValue { what: "modulus", at })?;
                let config = Config::new(clients, threshold, dim, modulus)
                    .map_err(|_| CodecError::BadValue { what: "parameters", at })?;
                Message::Welcome { config, id: r.u32("client id")? }
            }
            2 => Message::AdvertiseKeys { c_pk: r.array("c_pk")?, s_pk: r.array("s_pk")? },
            3 => {
                let n = r.count(MAX_CLIENTS as usize, 68, "key count")?;
                let keys = (0..n)
                    .map(|_| Ok((r.u32("client id")?, r.array("c_pk")?, r.array("s_pk")?)))
                    .collect::<Result<_, CodecError>>()?;
                Message::KeyList { keys }
            }
            4 => Message::ShareKeys { session: r.array("session")?, ciphertexts: get_id_bytes(r)? },
            5 => Message::Ciphertexts { session: r.array("session")?, ciphertexts: get_id_bytes(r)? },
            6 => Message::MaskedInput { session: r.array("session")?, values: get_u64s(r)? },
            7 => {
                let session = r.array("session")?;
                let n = r.count(MAX_CLIENTS as usize, 4, "survivor count")?;
                let ids = (0..n).map(|_| r.u32("client id")).collect::<Result<_, _>>()?;
                Message::Survivors { session, ids }
            }
            8 => {
                let session = r.array("session")?;
                let n = r.count(MAX_CLIENTS as usize, 9, "share count")?;
                let shares = (0..n)
                    .map(|_| {
                        let id = r.u32("client id")?;
                        let at = r.position();
                        let kind = match r.u8("share kind")? {
                            1 => ShareKind::SelfMask,
                            2 => ShareKind::MaskKey,
                            _ => return Err(CodecError::BadValue { what: "share kind", at }),
                        };
                        Ok((id, kind, r.bytes(MAX_BYTES, "share")?.to_vec()))
                    })
                    .collect::<Result<_, CodecError>>()?;
                Message::UnmaskShares { session, shares }
            }
            9 => Message::Sum { session: r.array("session")?, values: get_u64s(r)? },
            _ => return Err(CodecError::BadValue { what: "message tag", at }),
        };
        reader.finish()?;
        Ok(msg)
    }

    /// A short name for errors.
    pub fn name(&self) -> &'static str {
        match self {
            Message::Welcome { .. } => "Welcome",
            Message::AdvertiseKeys { .. } => "AdvertiseKeys",
            Message::KeyList { .. } => "KeyList",
            Message::ShareKeys { .. } => "ShareKeys",
            Message::Ciphertexts { .. } => "Ciphertexts",
            Message::MaskedInput { .. } => "MaskedInput",
            Message::Survivors { .. } => "Survivors",
            Message::UnmaskShares { .. } => "UnmaskShares",
            Message::Sum { .. } => "Sum",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_junk() {
        let cfg = Config::new(5, 3, 4, Modulus::power_of_two(32).unwrap()).unwrap();
        let msgs = vec![
            Message::Welcome { config: cfg, id: 2 },
            Message::AdvertiseKeys { c_pk: [1; 32], s_pk: [2; 32] },
            Message::KeyList { keys: vec![(0, [1; 32], [2; 32]), (3, [3; 32], [4; 32])] },
            Message::ShareKeys { session: [5; 32], ciphertexts: vec![(1, vec![1, 2, 3])] },
            Message::Ciphertexts { session: [5; 32], ciphertexts: vec![] },
            Message::MaskedInput { session: [5; 32], values: vec![1, u64::MAX] },
            Message::MaskedInput { session: [5; 32], values: vec![0, 0x1_0000, 0xff] },
            Message::MaskedInput { session: [5; 32], values: vec![] },
            Message::Sum { session: [5; 32], values: vec![0x1234_5678, 0] },
            Message::Survivors { session: [5; 32], ids: vec![0, 1, 4] },
            Message::UnmaskShares { session: [5; 32], shares: vec![(1, ShareKind::MaskKey, vec![9])] },
            Message::Sum { session: [5; 32], values: vec![7] },
        ];
        for m in msgs {
            let e = m.encode();
            assert_eq!(Message::decode(&e).unwrap(), m);
            assert!(Message::decode(&e[..e.len() - 1]).is_err(), "{}", m.name());
            let mut longer = e.clone();
            longer.push(0);
            assert!(Message::decode(&longer).is_err());
        }
        assert!(Message::decode(&[]).is_err());
        assert!(Message::decode(&[99]).is_err());
        // A list claiming 2^31 entries is refused before allocation.
        let mut huge = vec![6];
        huge.extend_from_slice(&[0; 32]);
        huge.extend_from_slice(&0x8000_0000u32.to_le_bytes());
        assert!(Message::decode(&huge).is_err());
        // Values take the width of the largest: 4 bytes each below 2^32.
        let m = Message::MaskedInput { session: [5; 32], values: vec![u32::MAX.into(); 10] };
        assert_eq!(m.encode().len(), 1 + 32 + 4 + 1 + 40);
        // Widths 0 and 9 are refused.
        for w in [0u8, 9] {
            let mut bad = vec![6];
            bad.extend_from_slice(&[0; 32]);
            bad.extend_from_slice(&1u32.to_le_bytes());
            bad.push(w);
            bad.extend_from_slice(&[0; 9]);
            assert!(Message::decode(&bad).is_err());
        }
    }
}
