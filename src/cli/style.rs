//! Color for text output (`--color auto|always|never`): styles written as ANSI
//! sequences, which `anstream` passes through to a terminal and strips
//! otherwise (a pipe, a file, `NO_COLOR`), so the text is the same either way.

use anstyle::{AnsiColor, Style};

/// `allow`, `bypass`, `non_identity`: let in.
pub const ALLOW: Style = AnsiColor::Green.on_default().bold();
/// `deny`.
pub const DENY: Style = AnsiColor::Red.on_default().bold();
/// `unknown`, undetermined.
pub const UNKNOWN: Style = AnsiColor::Yellow.on_default().bold();
/// `error:`
pub const ERROR: Style = AnsiColor::Red.on_default().bold();
/// `warning:`
pub const WARNING: Style = AnsiColor::Yellow.on_default().bold();
/// Names a person looks for (the context's id).
pub const NAME: Style = Style::new().bold();

/// `text` in `style`.
pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// A decision word in its color.
pub fn decision(word: &str) -> String {
    let style = match word {
        "allow" | "bypass" | "non_identity" | "member" => ALLOW,
        "deny" | "not_protected" => DENY,
        _ => UNKNOWN,
    };
    paint(style, word)
}

/// The severity label at the start of a rendered problem, in its color.
pub fn severity(rendered: &str) -> String {
    for (label, style) in [("error:", ERROR), ("warning:", WARNING)] {
        if let Some(rest) = rendered.strip_prefix(label) {
            return format!("{}{rest}", paint(style, label));
        }
    }
    rendered.to_string()
}
