//! The lexer: source text to tokens with byte spans (logos).
//!
//! Guarantees: never panics; every byte of the input is either skipped (whitespace,
//! `//` and `/* */` comments) or covered by exactly one token or one [`LexError`].
//! Identifiers and integer literals borrow from the source.

use logos::Logos;

/// A token. Literal and identifier payloads are slices of the source.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip r"//[^\n]*")]
pub enum Tok<'a> {
    /// `/* ... */` (not nested); skipped, or an error when unterminated.
    #[token("/*", block_comment)]
    BlockComment,
    #[token("party")]
    Party,
    #[token("const")]
    Const,
    #[token("struct")]
    Struct,
    #[token("fn")]
    Fn,
    #[token("let")]
    Let,
    #[token("mut")]
    Mut,
    #[token("if")]
    If,
    #[token("else")]
    Else,
    #[token("for")]
    For,
    #[token("in")]
    In,
    #[token("return")]
    Return,
    #[token("as")]
    As,
    #[token("true")]
    True,
    #[token("false")]
    False,
    /// `while` and `loop` are reserved so that they get a helpful error.
    #[token("while")]
    While,
    #[token("loop")]
    Loop,
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Ident(&'a str),
    /// Decimal, `0x` hex or `0b` binary with `_` separators and an optional type suffix.
    #[regex(r"[0-9][0-9_]*([ui][0-9]+)?")]
    #[regex(r"0x[0-9a-fA-F_]+([ui][0-9]+)?")]
    #[regex(r"0b[01_]+([ui][0-9]+)?")]
    Int(&'a str),
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("..")]
    DotDot,
    #[token("..=")]
    DotDotEq,
    #[token("::")]
    ColonColon,
    #[token("=>")]
    FatArrow,
    #[token("match")]
    Match,
    #[token("enum")]
    Enum,
    /// `b'A'`: one byte (ASCII, or an escape `\n \r \t \\ \' \" \0 \xHH`).
    #[regex(r#"b'([^'\\\n]|\\[nrt0'"\\]|\\x[0-9a-fA-F]{2})'"#)]
    ByteChar(&'a str),
    /// `b"abc"`: a byte string (same escapes), an array of `u8`.
    #[regex(r#"b"([^"\\\n]|\\[nrt0'"\\]|\\x[0-9a-fA-F]{2})*""#)]
    ByteStr(&'a str),
    #[token("->")]
    Arrow,
    #[token("@")]
    At,
    #[token("=")]
    Eq,
    #[token("+=")]
    PlusEq,
    #[token("-=")]
    MinusEq,
    #[token("*=")]
    StarEq,
    #[token("/=")]
    SlashEq,
    #[token("%=")]
    PercentEq,
    #[token("&=")]
    AmpEq,
    #[token("|=")]
    PipeEq,
    #[token("^=")]
    CaretEq,
    #[token("<<=")]
    ShlEq,
    #[token(">>=")]
    ShrEq,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
    #[token("&")]
    Amp,
    #[token("|")]
    Pipe,
    #[token("^")]
    Caret,
    #[token("!")]
    Bang,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("==")]
    EqEq,
    #[token("!=")]
    Ne,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,
}

impl std::fmt::Display for Tok<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tok::Ident(s) => write!(f, "identifier `{s}`"),
            Tok::Int(s) => write!(f, "integer `{s}`"),
            Tok::ByteChar(s) | Tok::ByteStr(s) => write!(f, "literal `{s}`"),
            other => write!(f, "`{}`", token_text(other)),
        }
    }
}

/// The fixed spelling of a keyword or punctuation token.
fn token_text(t: &Tok<'_>) -> &'static str {
    use Tok::*;
    match t {
        BlockComment => "/*",
        Party => "party",
        Const => "const",
        Struct => "struct",
        Fn => "fn",
        Let => "let",
        Mut => "mut",
        If => "if",
        Else => "else",
        For => "for",
        In => "in",
        Return => "return",
        As => "as",
        True => "true",
        False => "false",
        While => "while",
        Loop => "loop",
        Ident(_) | Int(_) => "?",
        LParen => "(",
        RParen => ")",
        LBrace => "{",
        RBrace => "}",
        LBracket => "[",
        RBracket => "]",
        Comma => ",",
        Semi => ";",
        Colon => ":",
        Dot => ".",
        DotDot => "..",
        DotDotEq => "..=",
        ColonColon => "::",
        FatArrow => "=>",
        Match => "match",
        Enum => "enum",
        ByteChar(_) | ByteStr(_) => "?",
        Arrow => "->",
        At => "@",
        Eq => "=",
        PlusEq => "+=",
        MinusEq => "-=",
        StarEq => "*=",
        SlashEq => "/=",
        PercentEq => "%=",
        AmpEq => "&=",
        PipeEq => "|=",
        CaretEq => "^=",
        ShlEq => "<<=",
        ShrEq => ">>=",
        Plus => "+",
        Minus => "-",
        Star => "*",
        Slash => "/",
        Percent => "%",
        Amp => "&",
        Pipe => "|",
        Caret => "^",
        Bang => "!",
        Shl => "<<",
        Shr => ">>",
        EqEq => "==",
        Ne => "!=",
        Lt => "<",
        Le => "<=",
        Gt => ">",
        Ge => ">=",
        AndAnd => "&&",
        OrOr => "||",
    }
}

fn block_comment<'a>(lex: &mut logos::Lexer<'a, Tok<'a>>) -> logos::FilterResult<(), ()> {
    match lex.remainder().find("*/") {
        Some(i) => {
            lex.bump(i + 2);
            logos::FilterResult::Skip
        }
        None => {
            lex.bump(lex.remainder().len());
            logos::FilterResult::Error(())
        }
    }
}

/// A byte range that is not a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    /// The offending bytes.
    pub span: std::ops::Range<usize>,
}

/// The bytes of a `b'..'` or `b".."` token (without `b` and quotes, escapes
/// decoded), or the message of why not (a character outside ASCII).
pub(crate) fn byte_literal(text: &str) -> Result<Vec<u8>, String> {
    let inner = text.get(2..text.len().saturating_sub(1)).unwrap_or("");
    let mut out = Vec::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        let b = match c {
            '\\' => match chars.next() {
                Some('n') => b'\n',
                Some('r') => b'\r',
                Some('t') => b'\t',
                Some('0') => 0,
                Some('x') => {
                    let hex: String = chars.by_ref().take(2).collect();
                    u8::from_str_radix(&hex, 16).map_err(|_| format!("invalid escape `\\x{hex}`"))?
                }
                Some(c) if c.is_ascii() => c as u8,
                _ => return Err("invalid escape".into()),
            },
            c if c.is_ascii() => c as u8,
            c => return Err(format!("`{c}` is not an ASCII character")),
        };
        out.push(b);
    }
    Ok(out)
}

/// The token stream in the shape LALRPOP expects: `(start, token, end)` or an error.
pub type Spanned<'a> = Result<(usize, Tok<'a>, usize), LexError>;

/// Lexes `source` completely.
pub fn lex(source: &str) -> impl Iterator<Item = Spanned<'_>> {
    Tok::lexer(source).spanned().map(|(tok, span)| match tok {
        Ok(t) => Ok((span.start, t, span.end)),
        Err(()) => Err(LexError { span }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_comments() {
        let toks: Vec<_> = lex("let x = 0x1_F; /* c */ // d\n a<<=b").map(|t| t.unwrap().1).collect();
        assert_eq!(
            toks,
            vec![
                Tok::Let,
                Tok::Ident("x"),
                Tok::Eq,
                Tok::Int("0x1_F"),
                Tok::Semi,
                Tok::Ident("a"),
                Tok::ShlEq,
                Tok::Ident("b")
            ]
        );
    }

    #[test]
    fn byte_literals() {
        let toks: Vec<_> = lex(r#"b'A' b"a\x41\n" ..= :: =>"#).map(|t| t.unwrap().1).collect();
        assert_eq!(
            toks,
            vec![
                Tok::ByteChar("b'A'"),
                Tok::ByteStr(r#"b"a\x41\n""#),
                Tok::DotDotEq,
                Tok::ColonColon,
                Tok::FatArrow
            ]
        );
        assert_eq!(byte_literal(r#"b"a\x41\n\\""#).unwrap(), b"aA\n\\".to_vec());
        assert_eq!(byte_literal("b'\\''").unwrap(), vec![b'\'']);
        assert!(byte_literal("b'\u{e9}'").is_err());
    }

    #[test]
    fn bad_bytes_are_errors() {
        let r: Vec<_> = lex("a # b").collect();
        assert!(r.iter().any(|t| t.is_err()));
    }
}
