//! The messages of secure aggregation and their binary encoding.
//!
//! Every message is `tag u8 || body`, integers big-endian, byte strings and lists
//! length-prefixed with a `u32`; vectors of values are packed to the byte width of
//! their largest value (see `put_u64s`). Decoding checks every length against what remains
//! (and lists against [`super::MAX_CLIENTS`] / [`super::MAX_DIM`]) before allocating,
//! rejects trailing bytes, and never panics.

use super::{Config, Modulus, SecaggError, MAX_CLIENTS, MAX_DIM};

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

struct Reader<'a> {
    buf: &'a [u8],
}

fn malformed(what: &str) -> SecaggError {
    SecaggError::Malformed(what.to_string())
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SecaggError> {
        if self.buf.len() < n {
            return Err(malformed("message truncated"));
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, SecaggError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, SecaggError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn key(&mut self) -> Result<[u8; 32], SecaggError> {
        let mut a = [0u8; 32];
        a.copy_from_slice(self.take(32)?);
        Ok(a)
    }
    fn bytes(&mut self) -> Result<Vec<u8>, SecaggError> {
        let n = self.u32()? as usize;
        Ok(self.take(n)?.to_vec())
    }
    fn count(&mut self, max: u32, min_item: usize) -> Result<usize, SecaggError> {
        let n = self.u32()?;
        if n > max || (n as usize).saturating_mul(min_item) > self.buf.len() {
            return Err(malformed("list length out of range"));
        }
        Ok(n as usize)
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_be_bytes());
    out.extend_from_slice(b);
}

/// A vector as `count u32 || width u8 || count * width bytes`, each value big-endian in
/// `width` bytes, the fewest that hold the largest value (at least one). Masked inputs
/// are uniform below the modulus, so this is `ceil(log2(m) / 8)` bytes per value
/// (4 for 2^32) without the message having to carry the modulus.
fn put_u64s(out: &mut Vec<u8>, v: &[u64]) {
    let max = v.iter().copied().max().unwrap_or(0);
    let width = (8 - (max.leading_zeros() / 8) as usize).max(1);
    out.extend_from_slice(&(v.len() as u32).to_be_bytes());
    out.push(width as u8);
    out.reserve(v.len() * width);
    for x in v {
        out.extend_from_slice(&x.to_be_bytes()[8 - width..]);
    }
}

fn put_id_bytes(out: &mut Vec<u8>, v: &[(u32, Vec<u8>)]) {
    out.extend_from_slice(&(v.len() as u32).to_be_bytes());
    for (id, b) in v {
        out.extend_from_slice(&id.to_be_bytes());
        put_bytes(out, b);
    }
}

impl Message {
    /// The wire form.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Message::Welcome { config, id } => {
                out.push(1);
                out.extend_from_slice(&config.clients.to_be_bytes());
                out.extend_from_slice(&config.threshold.to_be_bytes());
                out.extend_from_slice(&config.dim.to_be_bytes());
                out.extend_from_slice(&config.modulus.value().to_be_bytes());
                out.extend_from_slice(&id.to_be_bytes());
            }
            Message::AdvertiseKeys { c_pk, s_pk } => {
                out.push(2);
                out.extend_from_slice(c_pk);
                out.extend_from_slice(s_pk);
            }
            Message::KeyList { keys } => {
                out.push(3);
                out.extend_from_slice(&(keys.len() as u32).to_be_bytes());
                for (id, c, s) in keys {
                    out.extend_from_slice(&id.to_be_bytes());
                    out.extend_from_slice(c);
                    out.extend_from_slice(s);
                }
            }
            Message::ShareKeys { session, ciphertexts } => {
                out.push(4);
                out.extend_from_slice(session);
                put_id_bytes(&mut out, ciphertexts);
            }
            Message::Ciphertexts { session, ciphertexts } => {
                out.push(5);
                out.extend_from_slice(session);
                put_id_bytes(&mut out, ciphertexts);
            }
            Message::MaskedInput { session, values } => {
                out.push(6);
                out.extend_from_slice(session);
                put_u64s(&mut out, values);
            }
            Message::Survivors { session, ids } => {
                out.push(7);
                out.extend_from_slice(session);
                out.extend_from_slice(&(ids.len() as u32).to_be_bytes());
                for id in ids {
                    out.extend_from_slice(&id.to_be_bytes());
                }
            }
            Message::UnmaskShares { session, shares } => {
                out.push(8);
                out.extend_from_slice(session);
                out.extend_from_slice(&(shares.len() as u32).to_be_bytes());
                for (id, kind, b) in shares {
                    out.extend_from_slice(&id.to_be_bytes());
                    out.push(match kind {
                        ShareKind::SelfMask => 1,
                        ShareKind::MaskKey => 2,
                    });
                    put_bytes(&mut out, b);
                }
            }
            Message::Sum { session, values } => {
                out.push(9);
                out.extend_from_slice(session);
                put_u64s(&mut out, values);
            }
        }
        out
    }

    /// Parses a message; any defect is [`SecaggError::Malformed`].
    pub fn decode(bytes: &[u8]) -> Result<Message, SecaggError> {
        let mut r = Reader { buf: bytes };
        let id_bytes = |r: &mut Reader| -> Result<Vec<(u32, Vec<u8>)>, SecaggError> {
            let n = r.count(MAX_CLIENTS, 8)?;
            (0..n).map(|_| Ok((r.u32()?, r.bytes()?))).collect()
        };
        let u64s = |r: &mut Reader| -> Result<Vec<u64>, SecaggError> {
            let n = r.count(MAX_DIM, 1)?;
            let width = r.u8()? as usize;
            if !(1..=8).contains(&width) {
                return Err(malformed("value width out of range"));
            }
            let body = r.take(n.checked_mul(width).ok_or_else(|| malformed("list too long"))?)?;
            Ok(body
                .chunks_exact(width)
                .map(|c| {
                    let mut a = [0u8; 8];
                    a[8 - width..].copy_from_slice(c);
                    u64::from_be_bytes(a)
                })
                .collect())
        };
        let msg = match r.u8()? {
            1 => {
                let (clients, threshold, dim) = (r.u32()?, r.u32()?, r.u32()?);
                let mut m = [0u8; 16];
                m.copy_from_slice(r.take(16)?);
                let modulus = Modulus::new(u128::from_be_bytes(m)).map_err(|_| malformed("bad modulus"))?;
                let config =
                    Config::new(clients, threshold, dim, modulus).map_err(|_| malformed("bad parameters"))?;
                Message::Welcome { config, id: r.u32()? }
            }
            2 => Message::AdvertiseKeys { c_pk: r.key()?, s_pk: r.key()? },
            3 => {
                let n = r.count(MAX_CLIENTS, 68)?;
                let keys =
                    (0..n).map(|_| Ok((r.u32()?, r.key()?, r.key()?))).collect::<Result<_, SecaggError>>()?;
                Message::KeyList { keys }
            }
            4 => Message::ShareKeys { session: r.key()?, ciphertexts: id_bytes(&mut r)? },
            5 => Message::Ciphertexts { session: r.key()?, ciphertexts: id_bytes(&mut r)? },
            6 => Message::MaskedInput { session: r.key()?, values: u64s(&mut r)? },
            7 => {
                let session = r.key()?;
                let n = r.count(MAX_CLIENTS, 4)?;
                let ids = (0..n).map(|_| r.u32()).collect::<Result<_, _>>()?;
                Message::Survivors { session, ids }
            }
            8 => {
                let session = r.key()?;
                let n = r.count(MAX_CLIENTS, 9)?;
                let shares = (0..n)
                    .map(|_| {
                        let id = r.u32()?;
                        let kind = match r.u8()? {
                            1 => ShareKind::SelfMask,
                            2 => ShareKind::MaskKey,
                            _ => return Err(malformed("unknown share kind")),
                        };
                        Ok((id, kind, r.bytes()?))
                    })
                    .collect::<Result<_, SecaggError>>()?;
                Message::UnmaskShares { session, shares }
            }
            9 => Message::Sum { session: r.key()?, values: u64s(&mut r)? },
            t => return Err(malformed(&format!("unknown message tag {t}"))),
        };
        if !r.buf.is_empty() {
            return Err(malformed("trailing bytes"));
        }
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
        huge.extend_from_slice(&0x8000_0000u32.to_be_bytes());
        assert!(Message::decode(&huge).is_err());
        // Values take the width of the largest: 4 bytes each below 2^32.
        let m = Message::MaskedInput { session: [5; 32], values: vec![u32::MAX.into(); 10] };
        assert_eq!(m.encode().len(), 1 + 32 + 4 + 1 + 40);
        // Widths 0 and 9 are refused.
        for w in [0u8, 9] {
            let mut bad = vec![6];
            bad.extend_from_slice(&[0; 32]);
            bad.extend_from_slice(&1u32.to_be_bytes());
            bad.push(w);
            bad.extend_from_slice(&[0; 9]);
            assert!(Message::decode(&bad).is_err());
        }
    }
}
