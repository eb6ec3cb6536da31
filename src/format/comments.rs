//! The comments of a source file, which the lexer drops: found again here
//! (outside string literals), so that the formatter can put each one back.

/// One comment, as written (`// ...` without its newline, or `/* ... */`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

impl Comment {
    /// A `//` comment ends its line: nothing may follow it there.
    pub fn ends_line(&self) -> bool {
        self.text.starts_with("//")
    }
}

/// Every comment in `src`, in order. Strings are skipped with their escapes,
/// as the lexer reads them; an unterminated block comment runs to the end.
pub fn scan(src: &str) -> Vec<Comment> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = src[i..].find('\n').map_or(src.len(), |n| i + n);
                out.push(Comment {
                    start: i,
                    end,
                    text: src[i..end].trim_end().to_string(),
                });
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = src[i + 2..].find("*/").map_or(src.len(), |n| i + 2 + n + 2);
                out.push(Comment {
                    start: i,
                    end,
                    text: src[i..end].to_string(),
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::scan;

    #[test]
    fn comments_outside_strings_are_found() {
        let src = "a // one\n\"// not \\\" one\" /* two */ b";
        let texts: Vec<String> = scan(src).into_iter().map(|c| c.text).collect();
        assert_eq!(texts, ["// one", "/* two */"]);
    }
}
