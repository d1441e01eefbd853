//! What Heron is started to open: a `mailto:` link or a message file, as the desktop
//! passes them (`heron mailto:…`, `heron letter.eml`).

use std::path::PathBuf;

/// What the arguments ask Heron to open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LaunchRequest {
    /// A message file (`.eml`), absolute.
    pub file: Option<PathBuf>,
    /// A `mailto:` link.
    pub mailto: Option<String>,
}

impl LaunchRequest {
    /// Reads the arguments after the program's name; relative paths are made absolute
    /// (the running Heron has another working directory).
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Self {
        let mut request = Self::default();
        for arg in args {
            if arg
                .get(..7)
                .is_some_and(|p| p.eq_ignore_ascii_case("mailto:"))
            {
                request.mailto.get_or_insert(arg);
                continue;
            }
            let path = PathBuf::from(&arg);
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("eml"))
                && path.is_file()
            {
                request
                    .file
                    .get_or_insert(std::fs::canonicalize(&path).unwrap_or(path));
            }
        }
        request
    }

    /// Whether it asks for anything.
    pub fn is_empty(&self) -> bool {
        self.file.is_none() && self.mailto.is_none()
    }

    pub(crate) fn into_args(self) -> Vec<String> {
        let mut args = Vec::new();
        args.extend(self.mailto);
        args.extend(self.file.map(|f| f.to_string_lossy().into_owned()));
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailto_links_and_message_files_are_read_from_the_arguments() {
        let dir = tempfile::tempdir().unwrap();
        let eml = dir.path().join("Letter.EML");
        std::fs::write(&eml, b"Subject: x\r\n\r\n").unwrap();
        let request = LaunchRequest::from_args([
            "--flag".to_owned(),
            "MAILTO:ann@example.test?subject=Hi".to_owned(),
            eml.to_string_lossy().into_owned(),
            dir.path()
                .join("missing.eml")
                .to_string_lossy()
                .into_owned(),
        ]);
        assert_eq!(
            request.mailto.as_deref(),
            Some("MAILTO:ann@example.test?subject=Hi")
        );
        assert_eq!(request.file, Some(std::fs::canonicalize(&eml).unwrap()));
        assert!(LaunchRequest::from_args(["x.txt".to_owned()]).is_empty());
    }
}
