//! Reading the files a program, circuit or input file comes from: a regular file is
//! read whole; anything else (`/dev/stdin`, a pipe, `/dev/zero`) at most up to a stream
//! limit, so that a file that never ends is an error, not a hang that eats all memory.

/// Reads a file given by path. A regular file is read whole, as `std::fs::read` does;
/// anything else (`/dev/zero`, `/dev/urandom`, a pipe) may never end, so at most
/// `stream_limit` bytes are read from it and more is an error rather than a hang that
/// eats all memory.
pub fn read_path(path: &std::path::Path, stream_limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let mut bytes = Vec::new();
    if meta.is_file() {
        bytes.reserve(usize::try_from(meta.len()).unwrap_or(0));
        (&file).read_to_end(&mut bytes)?;
        return Ok(bytes);
    }
    file.take(stream_limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > stream_limit {
        return Err(std::io::Error::other(format!(
            "it is not a regular file and gives more than {stream_limit} bytes"
        )));
    }
    Ok(bytes)
}

/// [`read_path`] for UTF-8 text.
pub fn read_path_text(path: &std::path::Path, stream_limit: u64) -> std::io::Result<String> {
    String::from_utf8(read_path(path, stream_limit)?).map_err(|_| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, "stream did not contain valid UTF-8")
    })
}

/// Stream limit of circuit files and programs (`/dev/stdin`, `<(...)`), 1 GiB.
pub const CIRCUIT_STREAM_LIMIT: u64 = 1 << 30;

/// Stream limit of `.mpc` programs, 64 MiB (the compiler refuses far smaller programs'
/// circuits anyway).
pub const PROGRAM_STREAM_LIMIT: u64 = 64 << 20;

/// Stream limit of small files: keys, certificates (1 MiB).
pub const SMALL_FILE_LIMIT: u64 = 1 << 20;
