//! The privacy notice in force and the user's acceptance of it.
//!
//! The notice is the admin's (`privacy_notice` in policy) or, without one, Heron's own.
//! Acceptance is kept in `<data_dir>/consent.json`; a notice whose version differs from
//! the accepted one must be accepted again before anything syncs.

use std::path::Path;

use heron_policy::PrivacyNotice;
use serde::{Deserialize, Serialize};

use crate::{ApiError, ErrorCode};

/// The file in the data directory that records the accepted notice.
pub const CONSENT_FILE: &str = "consent.json";

/// The version of Heron's built-in notice; a change to its text needs a new version.
pub const BUILTIN_NOTICE_VERSION: &str = "2026-11-01";

const BUILTIN_NOTICE_DATE: &str = "2026-11-01";

const BUILTIN_NOTICE_EN: &str = "\
Heron is the mail client your organisation provides.

What Heron connects to: only the mail, calendar and directory servers in your organisation's configuration. Heron sends no telemetry, usage statistics or crash reports to anyone, including the makers of Heron.

What Heron keeps on this device: your account details and your settings (such as language, theme and the version of this notice you accepted); mail it downloads goes into an encrypted store whose key is held by your operating system's keyring. None of it leaves this device through Heron.

Diagnostics: whatever Heron records about its own operation stays on this device; Heron never uploads it.

Questions about how your organisation handles your mail go to your organisation's IT or privacy contact.";

const BUILTIN_NOTICE_ZH: &str = "\
Heron 是您所在机构提供的邮件客户端。

Heron 连接的对象：仅限您所在机构配置中的邮件、日历和通讯录服务器。Heron 不向任何人（包括 Heron 的开发者）发送遥测数据、使用统计或崩溃报告。

Heron 在本设备上保存的内容：您的账户信息和设置（例如语言、主题以及您已接受的本声明版本）；Heron 下载的邮件保存在加密存储中，其密钥由操作系统的密钥环保管。这些内容都不会经由 Heron 离开本设备。

诊断信息：Heron 记录的关于自身运行的任何信息都只保存在本设备上；Heron 从不上传。

关于您所在机构如何处理您的邮件，请咨询机构的 IT 或隐私联系人。";

/// Where the notice in force comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeSource {
    /// Heron's own notice: the policy has none.
    Builtin,
    /// The admin's notice from policy.
    Policy,
}

/// A notice version the user accepted, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedNotice {
    /// The version accepted.
    pub version: String,
    /// When, in seconds since the Unix epoch.
    pub accepted_at_unix: i64,
}

/// The privacy notice in force, as the UI shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PrivacyNoticeView {
    /// The version the user accepts.
    pub version: String,
    /// When the text last changed (YYYY-MM-DD).
    pub updated: String,
    /// From when it applies (YYYY-MM-DD).
    pub effective: String,
    /// Whom to ask (an address or URL); the built-in notice has none.
    pub contact: Option<String>,
    /// The notice. A policy notice has one text, in the language the admin wrote it in.
    pub text: String,
    /// The Simplified Chinese text, for the built-in notice (`text` is then English).
    pub text_zh: Option<String>,
    /// Where the notice comes from.
    pub source: NoticeSource,
    /// The acceptance on record, if any (possibly of another version).
    pub accepted: Option<AcceptedNotice>,
    /// True until this version is accepted: nothing syncs before.
    pub must_accept: bool,
    /// The version accepted before, when it differs from the one in force.
    pub previous_accepted_version: Option<String>,
}

/// The notice in force: the policy's or the built-in one.
pub(crate) fn notice_view(
    policy_notice: Option<&PrivacyNotice>,
    data_dir: Option<&Path>,
) -> Result<PrivacyNoticeView, ApiError> {
    let mut view = match policy_notice {
        Some(notice) => PrivacyNoticeView {
            version: notice.version.clone(),
            updated: notice.updated.clone(),
            effective: notice.effective.clone(),
            contact: Some(notice.contact.clone()).filter(|c| !c.trim().is_empty()),
            text: policy_text(notice)?,
            text_zh: None,
            source: NoticeSource::Policy,
            accepted: None,
            must_accept: true,
            previous_accepted_version: None,
        },
        None => PrivacyNoticeView {
            version: BUILTIN_NOTICE_VERSION.to_owned(),
            updated: BUILTIN_NOTICE_DATE.to_owned(),
            effective: BUILTIN_NOTICE_DATE.to_owned(),
            contact: None,
            text: BUILTIN_NOTICE_EN.to_owned(),
            text_zh: Some(BUILTIN_NOTICE_ZH.to_owned()),
            source: NoticeSource::Builtin,
            accepted: None,
            must_accept: true,
            previous_accepted_version: None,
        },
    };
    let accepted = match data_dir {
        Some(dir) => read_accepted(&dir.join(CONSENT_FILE))?,
        None => None,
    };
    if let Some(accepted) = &accepted {
        view.must_accept = accepted.version != view.version;
        if view.must_accept {
            view.previous_accepted_version = Some(accepted.version.clone());
        }
    }
    view.accepted = accepted;
    Ok(view)
}

/// Records that `version` was accepted at `now_unix`; refused unless it is `in_force`.
pub(crate) fn accept(
    in_force: &str,
    version: &str,
    now_unix: i64,
    data_dir: Option<&Path>,
) -> Result<AcceptedNotice, ApiError> {
    if version != in_force {
        return Err(ApiError::new(
            ErrorCode::NoticeVersionMismatch,
            format!(
                "The privacy notice changed while it was shown (version {in_force} is now in force, not {version}); read the new notice and accept it"
            ),
        ));
    }
    let Some(dir) = data_dir else {
        return Err(ApiError::new(
            ErrorCode::NoDataDir,
            "Your acceptance cannot be saved because Heron was started without a data directory",
        ));
    };
    let accepted = AcceptedNotice {
        version: version.to_owned(),
        accepted_at_unix: now_unix,
    };
    write_atomically(&dir.join(CONSENT_FILE), &accepted)?;
    Ok(accepted)
}

fn policy_text(notice: &PrivacyNotice) -> Result<String, ApiError> {
    match (&notice.text, &notice.file) {
        (Some(text), _) => Ok(text.clone()),
        (None, Some(file)) => std::fs::read_to_string(file).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidConfig,
                format!(
                    "Cannot read the privacy notice file {}: {e}; ask your administrator",
                    file.display()
                ),
            )
        }),
        // Policy checking refuses a notice with neither; stay safe anyway.
        (None, None) => Err(ApiError::new(
            ErrorCode::InvalidConfig,
            "The privacy notice in policy has no text; ask your administrator",
        )),
    }
}

fn read_accepted(path: &Path) -> Result<Option<AcceptedNotice>, ApiError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ApiError::new(
                ErrorCode::StorageFailed,
                format!("Cannot read {}: {e}", path.display()),
            ));
        }
    };
    // A damaged record counts as no acceptance: the user is simply asked again.
    Ok(serde_json::from_str(&text).ok())
}

fn write_atomically(path: &Path, accepted: &AcceptedNotice) -> Result<(), ApiError> {
    use std::io::Write as _;
    let failed = |e: std::io::Error| {
        let code = if e.kind() == std::io::ErrorKind::StorageFull {
            ErrorCode::DiskFull
        } else {
            ErrorCode::StorageFailed
        };
        ApiError::new(
            code,
            format!("Cannot save your acceptance to {}: {e}", path.display()),
        )
    };
    let text =
        serde_json::to_string_pretty(accepted).map_err(|e| failed(std::io::Error::other(e)))?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    // Whole to a temporary file, flushed, then renamed: a crash leaves the old record or
    // the new one, never half of one.
    let temporary = path.with_extension("json.tmp");
    {
        let mut file = std::fs::File::create(&temporary).map_err(failed)?;
        file.write_all((text + "\n").as_bytes()).map_err(failed)?;
        file.sync_all().map_err(failed)?;
    }
    std::fs::rename(&temporary, path).map_err(failed)
}
