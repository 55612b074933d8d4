//! The language of human output: `--lang zh|en`, else the locale, else Chinese.
//!
//! Offices and residents read Chinese, so Chinese is the default whenever the
//! locale does not ask for English.

use clap::ValueEnum;

/// A language the CLI speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Lang {
    /// 中文
    Zh,
    /// English
    En,
}

impl Lang {
    /// `flag` if given, else from `LC_ALL`, `LC_MESSAGES` or `LANG`.
    pub(crate) fn detect(flag: Option<Lang>) -> Lang {
        if let Some(lang) = flag {
            return lang;
        }
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .unwrap_or_default();
        if locale.starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    /// Picks the text for this language.
    pub(crate) fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}
