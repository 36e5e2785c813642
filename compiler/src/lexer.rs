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
    fn bad_bytes_are_errors() {
        let r: Vec<_> = lex("a # b").collect();
        assert!(r.iter().any(|t| t.is_err()));
    }
}
