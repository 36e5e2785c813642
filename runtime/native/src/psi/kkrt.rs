//! KKRT16 private set intersection: a batched OPRF from OT extension, cuckoo hashing
//! and hashed comparison (Kolesnikov, Kumaresan, Rosulek, Trieu, "Efficient Batched
//! Oblivious PRF with Applications to Private Set Intersection", CCS 2016; parameters
//! as in the authors' implementation, see docs/native.md for what was checked).
//!
//! Roles: the listener is the OPRF *receiver* (set X, `n1` items after
//! deduplication), the connector the OPRF *sender* (set Y, `n2` items).
//!
//! 0-1. The common hello and the PSI hello ([`super::exchange_hellos`], protocol
//!    [`Protocol::Kkrt`]): both learn `n1`, `n2` and the mode. Session keys (the code
//!    keys and the cuckoo hash key) are SHA-512 over the session id and both hellos,
//!    so both sides derive the same public keys and no earlier session's apply.
//! 2. Every item is reduced to a 128-bit digest ([`digest`]: items of up to 15 bytes
//!    are encoded injectively, longer ones are SHA-256 truncated to 120 bits with a
//!    tag), duplicates are dropped ([`distinct_digests`]), and the connector shuffles its digests with fresh
//!    randomness (so a position in its answer says nothing about its input order).
//! 3. The listener places its digests by cuckoo hashing ([`super::cuckoo`]: three
//!    hash functions; from 2^16 items `1.27 n1` bins and no stash, `s = 0`; below,
//!    `1.2 n1` bins and a stash of `s` items).
//! 4. OPRF ([`mpc_ot::kkrt`], KKRT16's BaRK-OPRF): 512 base OTs (the listener sends
//!    its base-OT setup before step 3, so the connector answers it meanwhile), then
//!    one OPRF instance per bin and per stash slot (`bins + s` rows, 64 bytes each on
//!    the wire, in chunks of 8192 rows). Empty bins and stash slots get a fixed dummy
//!    input; the connector cannot tell (its view is uniformly random rows).
//! 5. The connector computes its OPRF values chunk by chunk as the rows arrive (its
//!    `(item, field)` pairs sorted by the chunk of their row, so it holds one chunk
//!    of rows, not all of them), then sends, for each of its items `y` in its
//!    shuffled order, one
//!    record of `3 + s` values: `F_{h_f(y)}(y)` for `f = 0, 1, 2` and `F_{bins+t}(y)`
//!    for every stash slot `t`, each truncated to `lambda + log2(n1 * n2)` bits
//!    (lambda = 40, rounded up to whole bytes: KKRT16's hashed comparison),
//!    so that a false match among all `n1 * n2` comparisons has probability at most
//!    2^-40.
//! 6. The listener compares each value of field `f` with its own `F` for the item it
//!    placed with function `f` (or in stash slot `f - 3`): a match is an item of the
//!    intersection and the record's position says which of the connector's items.
//! 7. In [`Mode::Intersection`] the listener sends back the sorted positions of the
//!    matched records, so the connector learns the same intersection: this step
//!    trusts the listener to report what it found (semi-honest). In
//!    [`Mode::ListenerOnly`] it is skipped and the connector learns nothing but `n1`.
//!    [`Mode::Cardinality`] is refused ([`CARDINALITY_REFUSAL`]): KKRT reveals the
//!    intersection itself to the listener.
//!
//! Security: semi-honest, kappa = 128, statistical parameter 40; the OPRF's output
//! hash is SHA-256 with domain separation, modelled as a random oracle (see
//! [`mpc_ot::kkrt`]). Set sizes are revealed, as in ECDH PSI. Every peer
//! message is length-checked before allocation; positions sent back must be in range
//! and strictly increasing, else [`PsiError::PeerMisbehaved`].
//!
//! Cost for `n = n1 = n2 = 2^20`: about 1.27n x 64 bytes from the listener and
//! 3n x 10 bytes from the connector (about 117 MB in all). The SHA-256 output hashes
//! dominate the CPU time (3 per connector item, one per listener row, one per item of
//! 16 bytes or more for its digest); the OPRF values are hashed on rayon's pool, a
//! chunk at a time on both sides, everything else on the calling thread.

use mpc_crypto::aes::FixedKeyAes;
use mpc_crypto::{Block, Prg};
use mpc_net::{frame, Channel, NetError};
use mpc_ot::kkrt::{self as oprf, Code, Row, CHUNK_ROWS, ROW_BLOCKS, ROW_BYTES};
use mpc_ot::{base, OtError};
use rand_core::CryptoRngCore;
use rayon::prelude::*;
use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroize;

use super::cuckoo::{self, Params, Positions, EMPTY, HASHES};
use super::table::{MatchTable, Table};
use super::{exchange_hellos, shuffle, ItemSet, Mode, Protocol, PsiError, PsiOutput, PsiReport, Role};

/// Why `--cardinality` is refused under KKRT (one sentence for the CLI).
pub const CARDINALITY_REFUSAL: &str = "the kkrt protocol reveals the intersection itself to the \
     listener, so it has no cardinality-only mode: use --protocol ecdh for --cardinality";

/// The statistical security parameter of the hashed comparison.
pub const LAMBDA: u32 = 40;
/// Connector records per network frame.
const RECORDS_PER_FRAME: usize = 4096;
/// Records looked up per rayon task on the listener.
const LOOKUP_RECORDS: usize = 1024;
/// Items hashed together on the connector (one AES pipeline batch of rows).
const BATCH: usize = 128;
/// The largest base-OT frame (512 points and a header).
const MAX_BASE_FRAME: usize = 64 * 1024;

impl From<OtError> for PsiError {
    fn from(err: OtError) -> PsiError {
        match err {
            OtError::InvalidArgument(e) => PsiError::InvalidParameter(e),
            other => PsiError::PeerMisbehaved(other.to_string()),
        }
    }
}

/// The domain prefix of a long item's digest.
const ITEM_PREFIX: &[u8; 20] = b"mpc-psi-kkrt-v1 item";
/// The longest item whose prefixed SHA-256 input fits one padded block (64 bytes less
/// the prefix, the `0x80` byte and the 8-byte length).
const ONE_BLOCK_ITEM: usize = 64 - ITEM_PREFIX.len() - 9;

/// The 128-bit digest of an item: items of at most 15 bytes are the bytes, zero padded,
/// with the length in byte 15 (injective); longer items are SHA-256 (with a domain
/// prefix) truncated to 15 bytes, with 0xFF in byte 15. Items of up to
/// [`ONE_BLOCK_ITEM`] bytes are hashed with one SHA-256 compression of the block padded
/// here (FIPS 180-4, section 5.1.1), the same value as `Sha256` gives (tested).
pub fn digest(item: &[u8]) -> Block {
    let mut b = [0u8; 16];
    if item.len() < 16 {
        b[..item.len()].copy_from_slice(item);
        b[15] = item.len() as u8; // < 16
    } else if item.len() <= ONE_BLOCK_ITEM {
        use sha2::digest::generic_array::GenericArray;
        let mut block = GenericArray::default();
        let end = ITEM_PREFIX.len() + item.len();
        block[..ITEM_PREFIX.len()].copy_from_slice(ITEM_PREFIX);
        block[ITEM_PREFIX.len()..end].copy_from_slice(item);
        block[end] = 0x80;
        block[56..].copy_from_slice(&(8 * end as u64).to_be_bytes());
        let mut state = oprf::SHA256_IV;
        sha2::compress256(&mut state, &[block]);
        for (d, w) in b[..16].chunks_exact_mut(4).zip(&state) {
            d.copy_from_slice(&w.to_be_bytes());
        }
        b[15] = 0xFF;
    } else {
        let h = Sha256::new_with_prefix(ITEM_PREFIX).chain_update(item).finalize();
        b[..15].copy_from_slice(&h[..15]);
        b[15] = 0xFF;
    }
    Block::from_bytes(b)
}

/// The distinct digests of a set, with the index of the first item of each.
pub fn distinct_digests(items: &ItemSet) -> (Vec<Block>, Vec<u32>) {
    let mut table = Table::with_capacity(items.len());
    let mut digests: Vec<Block> = Vec::with_capacity(items.len());
    let mut reps = Vec::with_capacity(items.len());
    let mut keys = [Block::ZERO; 128];
    let mut batch = [Block::ZERO; 128];
    let mut wide = [0u128; 128];
    for start in (0..items.len()).step_by(128) {
        let end = (start + 128).min(items.len());
        let n = end - start;
        for (k, b) in batch[..n].iter_mut().enumerate() {
            *b = digest(items.get(start + k));
        }
        // The table wants pseudorandom keys; a permutation keeps them distinct.
        keys[..n].copy_from_slice(&batch[..n]);
        FixedKeyAes::global().permute_many(&mut keys[..n]);
        for (w, k) in wide.iter_mut().zip(&keys[..n]) {
            *w = k.to_u128();
        }
        table.prefetch(&wide[..n]);
        for k in 0..n {
            // digests.len() <= items.len() <= MAX_SET_SIZE < u32::MAX.
            let d = batch[k];
            if table.insert(wide[k], digests.len() as u32, |v| digests[v as usize] == d).is_none() {
                digests.push(d);
                reps.push((start + k) as u32);
            }
        }
    }
    (digests, reps)
}

/// Bytes per compared value for set sizes `n1`, `n2`: `lambda + ceil(log2(n1 n2))`
/// bits, rounded up to bytes (at most 16).
pub fn value_bytes(n1: usize, n2: usize) -> usize {
    let pairs = (n1 as u128).saturating_mul(n2 as u128).max(1);
    let log = 128 - (pairs - 1).leading_zeros(); // ceil(log2(pairs))
    ((LAMBDA + log).div_ceil(8) as usize).min(16)
}

/// `out` (one compared value's bytes) = the low `out.len()` bytes of `v`, little-endian.
/// The usual lengths get a copy of constant length (no `memcpy` call per value).
fn value_to_le(v: u128, out: &mut [u8]) {
    fn put<const N: usize>(v: u128, out: &mut [u8]) {
        out[..N].copy_from_slice(&v.to_le_bytes()[..N]);
    }
    match out.len() {
        8 => put::<8>(v, out),
        9 => put::<9>(v, out),
        10 => put::<10>(v, out),
        11 => put::<11>(v, out),
        n => out.copy_from_slice(&v.to_le_bytes()[..n]),
    }
}

/// The value whose low bytes are `bytes` (at most 16), little-endian; the usual lengths
/// as in [`value_to_le`].
fn value_from_le(bytes: &[u8]) -> u128 {
    fn get<const N: usize>(bytes: &[u8], b: &mut [u8; 16]) {
        b[..N].copy_from_slice(&bytes[..N]);
    }
    let mut b = [0u8; 16];
    match bytes.len() {
        8 => get::<8>(bytes, &mut b),
        9 => get::<9>(bytes, &mut b),
        10 => get::<10>(bytes, &mut b),
        11 => get::<11>(bytes, &mut b),
        n => b[..n].copy_from_slice(bytes),
    }
    u128::from_le_bytes(b)
}

/// The session's public keys: four code keys and the cuckoo hash key.
fn session_keys(agreed: &super::Agreed, role: Role) -> (Code, Block) {
    let (l, c) = match role {
        Role::Listener => (&agreed.ours, &agreed.peer),
        Role::Connector => (&agreed.peer, &agreed.ours),
    };
    let mut h = Sha512::new();
    h.update(b"mpc-psi-kkrt-v1 keys");
    h.update(agreed.session);
    h.update(l.encode());
    h.update(c.encode());
    let d = h.finalize();
    let mut seed = [0u8; 16];
    seed.copy_from_slice(&d[..16]);
    let mut prg = Prg::from_seed_block(Block::from_bytes(seed));
    let code = Code::new(core::array::from_fn(|_| prg.random_block()));
    (code, prg.random_block())
}

/// Runs one party of KKRT PSI over `channel` (the listener is the OPRF receiver and
/// learns the intersection; see the module doc). `items` may hold duplicates.
pub fn run<C: Channel + ?Sized, R: CryptoRngCore + ?Sized>(
    channel: &mut C,
    role: Role,
    mode: Mode,
    items: &ItemSet,
    rng: &mut R,
) -> Result<PsiReport, PsiError> {
    if mode == Mode::Cardinality {
        return Err(PsiError::InvalidParameter(CARDINALITY_REFUSAL.to_string()));
    }
    let (mut digests, mut reps) = distinct_digests(items);
    let (sent0, recv0) = (channel.bytes_sent(), channel.bytes_received());
    let agreed = exchange_hellos(channel, role, Protocol::Kkrt, mode, digests.len(), rng)?;
    let peer_size = agreed.peer.set_size as usize; // <= MAX_SET_SIZE, checked by decode
    let (code, hash_key) = session_keys(&agreed, role);
    let output = match role {
        Role::Listener => receive(channel, mode, items, &digests, &reps, peer_size, &code, hash_key, rng)?,
        Role::Connector => {
            // One fresh permutation of the connector's items (step 2).
            // The shuffle draws from an AES-CTR PRG seeded by the caller's CSPRNG (one
            // OS call instead of one per item).
            let mut order: Vec<u32> = (0..digests.len() as u32).collect();
            shuffle(&mut order, &mut Prg::from_rng_block(&mut RngAdapter(rng)));
            digests = order.iter().map(|&i| digests[i as usize]).collect();
            reps = order.iter().map(|&i| reps[i as usize]).collect();
            send(channel, mode, items, &digests, &reps, peer_size, &code, hash_key, rng)?
        }
    };
    Ok(PsiReport {
        output,
        peer_set_size: peer_size,
        bytes_sent: channel.bytes_sent() - sent0,
        bytes_received: channel.bytes_received() - recv0,
    })
}

fn recv_bounded<C: Channel + ?Sized>(ch: &mut C, max: usize, what: &str) -> Result<Vec<u8>, PsiError> {
    match frame::recv_frame(ch, max) {
        Ok(b) => Ok(b),
        Err(NetError::FrameTooLarge { len, .. }) => {
            Err(PsiError::PeerMisbehaved(format!("it announced {what} of {len} bytes")))
        }
        Err(e) => Err(e.into()),
    }
}

fn sorted_items(items: &ItemSet, indices: impl Iterator<Item = u32>) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = indices.map(|i| items.get(i as usize).to_vec()).collect();
    out.sort_unstable();
    out
}

/// The listener: OPRF receiver, learns the intersection.
#[allow(clippy::too_many_arguments)]
fn receive<C: Channel + ?Sized, R: CryptoRngCore + ?Sized>(
    ch: &mut C,
    mode: Mode,
    items: &ItemSet,
    digests: &[Block],
    reps: &[u32],
    n2: usize,
    code: &Code,
    hash_key: Block,
    rng: &mut R,
) -> Result<PsiOutput, PsiError> {
    let n1 = digests.len();
    let params = Params::for_size(n1);
    // The base-OT setup goes first: the connector answers it while we place our items.
    let (setup, offer) = oprf::receiver_setup(&mut RngAdapter(rng));
    frame::send_frame(ch, &offer.to_bytes())?;
    ch.flush()?;
    let positions = Positions::new(hash_key, params.bins);
    let mut pos = vec![[0u32; HASHES]; n1];
    positions.many(digests, &mut pos);
    let placed = cuckoo::place(&pos, params, rng)?;
    drop(pos);
    // The comparison field of each item: its hash function, or 3 + its stash slot.
    let mut field = placed.function.clone();
    for (t, &i) in placed.stash.iter().enumerate() {
        field[i as usize] = (HASHES + t) as u8; // t < stash <= 12
    }
    // Row r's input: the item in bin r, or in stash slot r - bins; EMPTY for none.
    let rows = params.bins + params.stash;
    let row_item = |r: usize| -> u32 {
        if r < params.bins {
            placed.bins[r]
        } else {
            placed.stash.get(r - params.bins).copied().unwrap_or(EMPTY)
        }
    };

    let reply = base::ReceiverReply::from_bytes(&recv_bounded(ch, MAX_BASE_FRAME, "a base-OT reply")?)?;
    let mut receiver = setup.finish(&reply)?;

    let vb = value_bytes(n1, n2);
    let mask = if vb == 16 { u128::MAX } else { (1u128 << (8 * vb)) - 1 };
    let mut table = MatchTable::new(n1);
    let mut inputs = Vec::with_capacity(CHUNK_ROWS);
    let mut codes = vec![[Block::ZERO; ROW_BLOCKS]; CHUNK_ROWS];
    let (mut msg, mut t_rows) = (Vec::new(), Vec::new());
    let mut hashed = Vec::with_capacity(CHUNK_ROWS);
    let mut tweaks = Vec::with_capacity(CHUNK_ROWS);
    let mut owners = Vec::with_capacity(CHUNK_ROWS);
    let mut values = vec![0u128; CHUNK_ROWS];
    for r0 in (0..rows).step_by(CHUNK_ROWS) {
        let r1 = (r0 + CHUNK_ROWS).min(rows);
        inputs.clear();
        inputs.extend((r0..r1).map(|r| match row_item(r) {
            EMPTY => Block::ZERO,
            i => digests[i as usize],
        }));
        let codes = &mut codes[..r1 - r0];
        code.encode_many(&inputs, codes);
        receiver.encode_chunk(codes, &mut msg, &mut t_rows);
        frame::send_frame(ch, &msg)?;
        // Our own OPRF values, for the occupied rows.
        hashed.clear();
        tweaks.clear();
        owners.clear();
        for (k, t) in t_rows.iter().enumerate() {
            let item = row_item(r0 + k);
            if item != EMPTY {
                hashed.push(*t);
                tweaks.push((r0 + k) as u64);
                owners.push(item);
            }
        }
        let values = &mut values[..hashed.len()];
        // In parallel, 1024 rows a task (the hashes dominate this loop).
        hashed
            .par_chunks(1024)
            .zip(tweaks.par_chunks(1024))
            .zip(values.par_chunks_mut(1024))
            .for_each(|((r, t), v)| oprf::hash_rows(r, t, v));
        for (v, &item) in values.iter().zip(&owners) {
            table.insert(*v & mask, item);
        }
    }
    ch.flush()?;
    drop(t_rows);

    // Step 6: the connector's records.
    let fields = HASHES + params.stash;
    let record = fields * vb;
    let mut matches: Vec<(u32, u32)> = Vec::new(); // (our item, their position)
    let mut p = 0usize;
    // The lookups run on rayon's pool, LOOKUP_RECORDS records a task: the connector
    // only waits for our answer now, so the second core is free.
    while p < n2 {
        let want = (n2 - p).min(RECORDS_PER_FRAME);
        let buf = recv_bounded(ch, RECORDS_PER_FRAME * record, "a record frame")?;
        if buf.len() != want * record {
            return Err(PsiError::PeerMisbehaved("it sent a record frame of the wrong length".into()));
        }
        let found: Vec<(u32, u32)> = buf
            .par_chunks(LOOKUP_RECORDS * record)
            .enumerate()
            .flat_map_iter(|(t, bytes)| {
                let received: Vec<u128> = bytes.chunks_exact(vb).map(value_from_le).collect();
                let first = p + t * LOOKUP_RECORDS;
                let mut m = Vec::new();
                table.lookup_batch(&received, |k, i| {
                    // Value k is field k % fields of record first + k / fields.
                    if field[i as usize] as usize == k % fields {
                        m.push((i, (first + k / fields) as u32)); // < n2 <= MAX_SET_SIZE
                    }
                });
                m
            })
            .collect();
        matches.extend(found);
        p += want;
    }
    // One match per item of ours (a second would be a 2^-40 false match).
    matches.sort_unstable();
    matches.dedup_by_key(|m| m.0);
    if mode == Mode::Intersection {
        let mut theirs: Vec<u32> = matches.iter().map(|m| m.1).collect();
        theirs.sort_unstable();
        theirs.dedup();
        let bytes: Vec<u8> = theirs.iter().flat_map(|p| p.to_le_bytes()).collect();
        frame::send_u64(ch, theirs.len() as u64)?;
        frame::send_frame(ch, &bytes)?;
        ch.flush()?;
    }
    Ok(PsiOutput::Intersection(sorted_items(items, matches.iter().map(|m| reps[m.0 as usize]))))
}

/// The connector: OPRF sender.
#[allow(clippy::too_many_arguments)]
fn send<C: Channel + ?Sized, R: CryptoRngCore + ?Sized>(
    ch: &mut C,
    mode: Mode,
    items: &ItemSet,
    digests: &[Block],
    reps: &[u32],
    n1: usize,
    code: &Code,
    hash_key: Block,
    rng: &mut R,
) -> Result<PsiOutput, PsiError> {
    let n2 = digests.len();
    let params = Params::for_size(n1);
    let rows = params.bins + params.stash;
    let offer = base::SenderSetup::from_bytes(&recv_bounded(ch, MAX_BASE_FRAME, "a base-OT setup")?)?;
    let (mut sender, reply) = oprf::sender_setup(&mut RngAdapter(rng), &offer)?;
    frame::send_frame(ch, &reply.to_bytes())?;
    ch.flush()?;

    // Step 5, streamed: every (item, hash function) pair is an OPRF evaluation at one
    // bin. The pairs are sorted by the chunk their bin arrives in, so each chunk's
    // values are computed as soon as it is decoded (while the listener builds the next
    // one) and only one chunk of rows is held. Values land at their item's place in our
    // shuffled order. The stash rows (below 2^16 listener items only) are kept aside
    // and evaluated for every item as each record frame is assembled, so memory stays
    // 3 values and one pair per item and function whatever the stash.
    let positions = Positions::new(hash_key, params.bins);
    let vb = value_bytes(n1, n2);
    let fields = HASHES + params.stash;
    let by_chunk = PairsByChunk::new(digests, &positions, params.bins);
    let mut hashed = vec![0u8; n2 * HASHES * vb];
    let mut q: Vec<Row> = Vec::with_capacity(CHUNK_ROWS);
    let mut stash_q: Vec<Row> = Vec::with_capacity(params.stash);
    let mut values = Vec::new();
    for (c, r0) in (0..rows).step_by(CHUNK_ROWS).enumerate() {
        let n = (rows - r0).min(CHUNK_ROWS);
        let msg = recv_bounded(ch, CHUNK_ROWS * ROW_BYTES, "an OPRF chunk")?;
        q.clear();
        sender.decode_chunk(n, &msg, &mut q)?;
        stash_q.extend_from_slice(&q[params.bins.saturating_sub(r0).min(n)..]);
        let pairs = by_chunk.chunk(c);
        values.clear();
        values.resize(pairs.len(), 0u128);
        // BATCH pairs per task on rayon's pool (the SHA-256 hashes dominate).
        pairs.par_chunks(BATCH).zip(values.par_chunks_mut(BATCH)).for_each(|(batch, v)| {
            evaluate(&sender, &q, r0, code, digests, batch, v);
        });
        for (pair, v) in pairs.iter().zip(&values) {
            // pair.slot < n2 * HASHES, so the value's bytes are inside `hashed`.
            let at = pair.slot as usize * vb;
            value_to_le(*v, &mut hashed[at..at + vb]);
        }
    }
    q.zeroize();
    values.zeroize();
    drop(by_chunk);
    if params.stash == 0 {
        for frame_bytes in hashed.chunks(RECORDS_PER_FRAME * HASHES * vb) {
            frame::send_frame(ch, frame_bytes)?;
        }
    } else {
        let record = fields * vb;
        let mut out = Vec::with_capacity(RECORDS_PER_FRAME * record);
        for start in (0..n2).step_by(RECORDS_PER_FRAME) {
            let end = (start + RECORDS_PER_FRAME).min(n2);
            out.clear();
            out.resize((end - start) * record, 0);
            let items = &digests[start..end];
            let from = &hashed[start * HASHES * vb..end * HASHES * vb];
            out.par_chunks_mut(BATCH * record)
                .zip(items.par_chunks(BATCH))
                .zip(from.par_chunks(BATCH * HASHES * vb))
                .for_each(|((o, batch), h)| {
                    with_stash(&sender, &stash_q, params.bins, code, vb, batch, h, o);
                });
            frame::send_frame(ch, &out)?;
        }
    }
    stash_q.zeroize();
    ch.flush()?;
    drop(hashed);

    match mode {
        Mode::ListenerOnly | Mode::Cardinality => Ok(PsiOutput::Nothing),
        Mode::Intersection => {
            let k = frame::recv_u64(ch)?;
            if k > n1.min(n2) as u64 {
                return Err(PsiError::PeerMisbehaved(format!(
                    "it reported {k} matches for sets of {n1} and {n2}"
                )));
            }
            let k = k as usize;
            let buf = recv_bounded(ch, 4 * k, "the matched positions")?;
            if buf.len() != 4 * k {
                return Err(PsiError::PeerMisbehaved("it sent a position list of the wrong length".into()));
            }
            let mut last: Option<u32> = None;
            let mut found = Vec::with_capacity(k);
            for b in buf.chunks_exact(4) {
                let p = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                if p as usize >= n2 || last.is_some_and(|l| p <= l) {
                    return Err(PsiError::PeerMisbehaved(
                        "it sent positions out of range or not increasing".into(),
                    ));
                }
                last = Some(p);
                found.push(reps[p as usize]);
            }
            Ok(PsiOutput::Intersection(sorted_items(items, found.into_iter())))
        }
    }
}

/// One OPRF evaluation of the connector: the value of item `slot / 3` at bin `row`
/// (its hash function `slot % 3`) goes to `slot` of the hashed-field values.
#[derive(Clone, Copy, Debug)]
struct Pair {
    row: u32,
    slot: u32,
}

/// The connector's `(item, hash function)` pairs sorted by the OPRF chunk of their bin
/// (a counting sort: `starts[c]..starts[c + 1]` are chunk `c`'s pairs).
struct PairsByChunk {
    pairs: Vec<Pair>,
    starts: Vec<usize>,
}

impl PairsByChunk {
    fn new(digests: &[Block], positions: &Positions, bins: usize) -> PairsByChunk {
        let chunks = bins.div_ceil(CHUNK_ROWS);
        let mut pos = vec![[0u32; HASHES]; digests.len()];
        positions.many(digests, &mut pos);
        let mut starts = vec![0usize; chunks + 1];
        for p in &pos {
            for &bin in p {
                starts[bin as usize / CHUNK_ROWS + 1] += 1;
            }
        }
        for c in 0..chunks {
            starts[c + 1] += starts[c];
        }
        let mut next = starts.clone();
        let mut pairs = vec![Pair { row: 0, slot: 0 }; digests.len() * HASHES];
        for (k, p) in pos.iter().enumerate() {
            for (f, &bin) in p.iter().enumerate() {
                let at = &mut next[bin as usize / CHUNK_ROWS];
                // k * HASHES + f < 3 * MAX_SET_SIZE < u32::MAX.
                pairs[*at] = Pair { row: bin, slot: (k * HASHES + f) as u32 };
                *at += 1;
            }
        }
        PairsByChunk { pairs, starts }
    }

    /// The pairs whose bins are in chunk `c` (none for a chunk of stash rows only).
    fn chunk(&self, c: usize) -> &[Pair] {
        match (self.starts.get(c), self.starts.get(c + 1)) {
            (Some(&a), Some(&b)) => &self.pairs[a..b],
            _ => &[],
        }
    }
}

/// The OPRF values of `batch` (at most [`BATCH`] pairs whose bins are in the chunk
/// starting at row `r0`, whose rows `q` holds) into `out`.
fn evaluate(
    sender: &oprf::Sender,
    q: &[Row],
    r0: usize,
    code: &Code,
    digests: &[Block],
    batch: &[Pair],
    out: &mut [u128],
) {
    let n = batch.len();
    let mut inputs = [Block::ZERO; BATCH];
    let mut codes = [[Block::ZERO; ROW_BLOCKS]; BATCH];
    let mut rows = [[Block::ZERO; ROW_BLOCKS]; BATCH];
    let mut tweaks = [0u64; BATCH];
    for (i, p) in inputs.iter_mut().zip(batch) {
        *i = digests[p.slot as usize / HASHES];
    }
    code.encode_many(&inputs[..n], &mut codes[..n]);
    for (k, p) in batch.iter().enumerate() {
        // The pair is in this chunk: r0 <= p.row < r0 + q.len().
        rows[k] = sender.eval_row(&q[p.row as usize - r0], &codes[k]);
        tweaks[k] = p.row as u64;
    }
    oprf::hash_rows(&rows[..n], &tweaks[..n], out);
    rows.zeroize();
}

/// Whole records for `batch` (at most [`BATCH`] digests) into `out`: each item's
/// three hashed-field values from `hashed` (`3 * vb` bytes an item), then its value at
/// every stash row (`stash_q[t]` is row `bins + t`).
#[allow(clippy::too_many_arguments)]
fn with_stash(
    sender: &oprf::Sender,
    stash_q: &[Row],
    bins: usize,
    code: &Code,
    vb: usize,
    batch: &[Block],
    hashed: &[u8],
    out: &mut [u8],
) {
    let n = batch.len();
    let s = stash_q.len();
    let record = (HASHES + s) * vb;
    let mut codes = [[Block::ZERO; ROW_BLOCKS]; BATCH];
    code.encode_many(batch, &mut codes[..n]);
    let mut rows = vec![[Block::ZERO; ROW_BLOCKS]; n * s];
    let mut tweaks = vec![0u64; n * s];
    let mut values = vec![0u128; n * s];
    for k in 0..n {
        for (t, q) in stash_q.iter().enumerate() {
            rows[k * s + t] = sender.eval_row(q, &codes[k]);
            tweaks[k * s + t] = (bins + t) as u64;
        }
    }
    oprf::hash_rows(&rows, &tweaks, &mut values);
    rows.zeroize();
    for k in 0..n {
        let r = &mut out[k * record..(k + 1) * record];
        r[..HASHES * vb].copy_from_slice(&hashed[k * HASHES * vb..(k + 1) * HASHES * vb]);
        for (t, v) in values[k * s..(k + 1) * s].iter().enumerate() {
            let at = (HASHES + t) * vb;
            value_to_le(*v, &mut r[at..at + vb]);
        }
    }
}

/// `mpc_ot` wants a sized `RngCore + CryptoRng`; this wraps the caller's unsized one.
struct RngAdapter<'a, R: CryptoRngCore + ?Sized>(&'a mut R);

impl<R: CryptoRngCore + ?Sized> rand_core::RngCore for RngAdapter<'_, R> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.0.try_fill_bytes(dest)
    }
}

impl<R: CryptoRngCore + ?Sized> rand_core::CryptoRng for RngAdapter<'_, R> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_injective_on_short_items_and_tagged_on_long_ones() {
        assert_ne!(digest(b""), digest(b"\0"));
        assert_ne!(digest(b"a"), digest(b"a\0"));
        let long = digest(&[b'x'; 16]);
        assert_eq!(long.to_bytes()[15], 0xFF);
        assert_ne!(long, digest(&[b'x'; 17]));
    }

    /// The one-compression path gives SHA-256's value on both sides of its bound.
    #[test]
    fn long_item_digests_are_prefixed_sha256() {
        for len in 16..=ONE_BLOCK_ITEM + 3 {
            let item: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37)).collect();
            let h = Sha256::new_with_prefix(ITEM_PREFIX).chain_update(&item).finalize();
            let mut want = [0xFFu8; 16];
            want[..15].copy_from_slice(&h[..15]);
            assert_eq!(digest(&item).to_bytes(), want, "length {len}");
        }
    }

    #[test]
    fn values_round_trip_at_every_length() {
        let v = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128;
        for len in 1..=16 {
            let mut out = vec![0u8; len];
            value_to_le(v, &mut out);
            assert_eq!(out, v.to_le_bytes()[..len]);
            let mask = if len == 16 { u128::MAX } else { (1u128 << (8 * len)) - 1 };
            assert_eq!(value_from_le(&out), v & mask, "length {len}");
        }
    }

    #[test]
    fn value_length_covers_lambda_plus_log_pairs() {
        assert_eq!(value_bytes(0, 0), 5);
        assert_eq!(value_bytes(1 << 20, 1 << 20), 10);
        assert_eq!(value_bytes(1 << 22, 1 << 22), 11);
        assert_eq!(value_bytes(3, 5), 6); // 40 + 4 bits
    }
}
