//! The Example Corp company directory, as data and as LDIF for `slapadd`.
//!
//! About fifty people with Chinese and Latin names, a nested department tree and a
//! real management chain, so directory search, autocomplete, photo display and
//! org-chart features are exercised against realistic entries. alice, bob and carol
//! are the mail test users and appear here with the same addresses.
//!
//! The LDIF follows RFC 2849: every value that is not a SAFE-STRING (non-ASCII names,
//! binary photos, leading spaces or colons) is written base64 (`attr:: ...`), and
//! lines are folded at 76 characters.

use anyhow::{Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// Where a person works; decides the time zone, phone prefix and `l` attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Office {
    /// Headquarters, UTC+8.
    Shanghai,
    /// UTC+8.
    Beijing,
    /// UTC+8.
    Singapore,
    /// UTC+0 (daylight saving ignored: dates in test data need not follow it).
    London,
    /// UTC+1.
    Berlin,
}

impl Office {
    /// The city name used for the `l` (locality) attribute.
    pub fn city(self) -> &'static str {
        match self {
            Office::Shanghai => "Shanghai",
            Office::Beijing => "Beijing",
            Office::Singapore => "Singapore",
            Office::London => "London",
            Office::Berlin => "Berlin",
        }
    }

    /// The office's offset from UTC in minutes.
    pub fn utc_offset_minutes(self) -> i32 {
        match self {
            Office::Shanghai | Office::Beijing | Office::Singapore => 8 * 60,
            Office::London => 0,
            Office::Berlin => 60,
        }
    }

    // Numbers sit in ranges reserved for fiction or unassigned where such ranges exist
    // (UK 020 7946 0xxx, 07700 900xxx); the others are plainly made up.
    fn desk_phone(self, n: usize) -> String {
        match self {
            Office::Shanghai => format!("+86 21 6188 {:04}", 2000 + n),
            Office::Beijing => format!("+86 10 5981 {:04}", 3000 + n),
            Office::Singapore => format!("+65 6100 {:04}", 4000 + n),
            Office::London => format!("+44 20 7946 0{:03}", 100 + n),
            Office::Berlin => format!("+49 30 5550 {:04}", 5000 + n),
        }
    }

    fn mobile_phone(self, n: usize) -> String {
        match self {
            Office::Shanghai | Office::Beijing => format!("+86 138 0000 {:04}", 1000 + n),
            Office::Singapore => format!("+65 9000 {:04}", 1000 + n),
            Office::London => format!("+44 7700 900{:03}", 100 + n),
            Office::Berlin => format!("+49 151 0000 {:04}", 1000 + n),
        }
    }
}

/// A department: an `organizationalUnit` under `ou=departments`, nested by path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Department {
    /// Short code used as `departmentNumber`, e.g. `ENG-MC`.
    pub code: String,
    /// Names from the top level down, e.g. `["Engineering", "Mail Client"]`.
    pub path: Vec<String>,
}

impl Department {
    /// The department's own name (the last path element), used as the `ou` value.
    pub fn name(&self) -> &str {
        self.path.last().map(String::as_str).unwrap_or_default()
    }

    /// The entry's DN, e.g. `ou=Mail Client,ou=Engineering,ou=departments,<base>`.
    pub fn dn(&self, base_dn: &str) -> String {
        let mut dn = String::new();
        for name in self.path.iter().rev() {
            dn.push_str("ou=");
            dn.push_str(name);
            dn.push(',');
        }
        dn.push_str("ou=departments,");
        dn.push_str(base_dn);
        dn
    }
}

/// One employee, as stored under `ou=people`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Login name and RDN, e.g. `wang.xiaoming`.
    pub uid: String,
    /// Common name as people write it: `王小明`, `Alice Martin`.
    pub cn: String,
    /// Surname: `王`, `Martin`.
    pub sn: String,
    /// Given name: `小明`, `Alice`.
    pub given_name: String,
    /// Display name shown by mail clients.
    pub display_name: String,
    /// Romanised name for people whose name is written in Chinese characters,
    /// published as a second `cn` value so pinyin searches find them.
    pub romanised_name: Option<String>,
    /// ASCII local part of the mail address (pinyin for Chinese names).
    pub mail_local: String,
    /// Job title.
    pub title: String,
    /// `Department::code` of the department the person belongs to.
    pub department_code: String,
    /// uid of the manager; `None` only for the CEO.
    pub manager_uid: Option<String>,
    /// Unique employee number.
    pub employee_number: String,
    /// Desk phone.
    pub telephone: String,
    /// Mobile phone, for some people.
    pub mobile: Option<String>,
    /// Office location.
    pub office: Office,
    /// JPEG avatar, for about a third of the people.
    pub photo: Option<&'static [u8]>,
}

impl Person {
    /// The entry's DN: `uid=<uid>,ou=people,<base>`.
    pub fn dn(&self, base_dn: &str) -> String {
        person_dn(&self.uid, base_dn)
    }

    /// The mail address in `domain`.
    pub fn mail(&self, domain: &str) -> String {
        format!("{}@{}", self.mail_local, domain)
    }

    /// Whether the name is written in Chinese characters.
    pub fn has_chinese_name(&self) -> bool {
        self.cn.chars().any(is_cjk)
    }
}

/// The DN of the person with this uid.
pub fn person_dn(uid: &str, base_dn: &str) -> String {
    format!("uid={uid},ou=people,{base_dn}")
}

/// Whether `organisation_ldif` includes the bundled `jpegPhoto` avatars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhotoSource {
    /// Include the small JPEG avatars bundled from `data/photos/`.
    Bundled,
    /// Leave `jpegPhoto` out, for a smaller directory.
    Omit,
}

/// Every department, parents before children.
pub fn departments() -> Vec<Department> {
    DEPARTMENTS
        .iter()
        .map(|(code, path)| Department {
            code: (*code).to_owned(),
            path: path.iter().map(|s| (*s).to_owned()).collect(),
        })
        .collect()
}

/// Every person, managers before the people who report to them.
pub fn people() -> Vec<Person> {
    PEOPLE
        .iter()
        .enumerate()
        .map(|(n, row)| Person {
            uid: row.uid.to_owned(),
            cn: row.cn.to_owned(),
            sn: row.sn.to_owned(),
            given_name: row.given.to_owned(),
            display_name: row.cn.to_owned(),
            romanised_name: row.romanised.map(str::to_owned),
            mail_local: row.uid.to_owned(),
            title: row.title.to_owned(),
            department_code: row.department.to_owned(),
            manager_uid: row.manager.map(str::to_owned),
            employee_number: (10001 + n).to_string(),
            telephone: row.office.desk_phone(n),
            mobile: row.mobile.then(|| row.office.mobile_phone(n)),
            office: row.office,
            photo: row.photo,
        })
        .collect()
}

/// The whole directory as LDIF for `slapadd`: the organisation entry for `base_dn`,
/// `ou=people` with every person, and `ou=departments` with the department tree.
///
/// `base_dn` must start with a `dc=` component (it becomes the `dc` attribute of the
/// organisation entry); `mail_domain` is the domain of every `mail` value.
pub fn organisation_ldif(base_dn: &str, mail_domain: &str, photos: &PhotoSource) -> Result<String> {
    let Some(first_rdn) = base_dn.split(',').next() else {
        bail!("Base DN is empty");
    };
    let Some((attr, dc)) = first_rdn.split_once('=') else {
        bail!("Base DN {base_dn:?} does not start with an attribute=value component");
    };
    if !attr.trim().eq_ignore_ascii_case("dc") || dc.trim().is_empty() {
        bail!("Base DN {base_dn:?} must start with a dc= component");
    }
    if mail_domain.is_empty() || !mail_domain.is_ascii() || mail_domain.contains(['@', ' ']) {
        bail!("Mail domain {mail_domain:?} is not a plain ASCII domain");
    }

    let departments = departments();
    let mut out = String::with_capacity(64 * 1024);
    // No `version: 1` line: slapadd (OpenLDAP 2.5) rejects it as an unknown
    // attribute, and slapcat does not write one either.

    push_attr(&mut out, "dn", base_dn.as_bytes());
    for class in ["top", "dcObject", "organization"] {
        push_attr(&mut out, "objectClass", class.as_bytes());
    }
    push_attr(&mut out, "dc", dc.trim().as_bytes());
    push_attr(&mut out, "o", b"Example Corp");
    push_attr(&mut out, "description", "Example Corp 示例公司".as_bytes());
    out.push('\n');

    for (ou, description) in [
        ("people", "Everyone at Example Corp"),
        ("departments", "Organisational structure"),
    ] {
        push_attr(&mut out, "dn", format!("ou={ou},{base_dn}").as_bytes());
        push_attr(&mut out, "objectClass", b"top");
        push_attr(&mut out, "objectClass", b"organizationalUnit");
        push_attr(&mut out, "ou", ou.as_bytes());
        push_attr(&mut out, "description", description.as_bytes());
        out.push('\n');
    }

    for department in &departments {
        push_attr(&mut out, "dn", department.dn(base_dn).as_bytes());
        push_attr(&mut out, "objectClass", b"top");
        push_attr(&mut out, "objectClass", b"organizationalUnit");
        push_attr(&mut out, "ou", department.name().as_bytes());
        push_attr(
            &mut out,
            "description",
            department.path.join(" / ").as_bytes(),
        );
        out.push('\n');
    }

    for person in people() {
        let Some(department) = departments
            .iter()
            .find(|d| d.code == person.department_code)
        else {
            bail!(
                "Person {} names unknown department {}",
                person.uid,
                person.department_code
            );
        };
        push_attr(&mut out, "dn", person.dn(base_dn).as_bytes());
        for class in ["top", "person", "organizationalPerson", "inetOrgPerson"] {
            push_attr(&mut out, "objectClass", class.as_bytes());
        }
        push_attr(&mut out, "uid", person.uid.as_bytes());
        push_attr(&mut out, "cn", person.cn.as_bytes());
        if let Some(romanised) = &person.romanised_name {
            push_attr(&mut out, "cn", romanised.as_bytes());
        }
        push_attr(&mut out, "sn", person.sn.as_bytes());
        push_attr(&mut out, "givenName", person.given_name.as_bytes());
        push_attr(&mut out, "displayName", person.display_name.as_bytes());
        push_attr(&mut out, "mail", person.mail(mail_domain).as_bytes());
        push_attr(&mut out, "title", person.title.as_bytes());
        push_attr(&mut out, "ou", department.name().as_bytes());
        push_attr(&mut out, "departmentNumber", department.code.as_bytes());
        push_attr(
            &mut out,
            "employeeNumber",
            person.employee_number.as_bytes(),
        );
        push_attr(&mut out, "telephoneNumber", person.telephone.as_bytes());
        if let Some(mobile) = &person.mobile {
            push_attr(&mut out, "mobile", mobile.as_bytes());
        }
        push_attr(&mut out, "l", person.office.city().as_bytes());
        push_attr(&mut out, "o", b"Example Corp");
        if let Some(manager) = &person.manager_uid {
            push_attr(&mut out, "manager", person_dn(manager, base_dn).as_bytes());
        }
        if let (PhotoSource::Bundled, Some(photo)) = (photos, person.photo) {
            push_attr(&mut out, "jpegPhoto", photo);
        }
        out.push('\n');
    }
    Ok(out)
}

/// The bundled avatars, for tests and for seeding inline images.
pub(crate) fn bundled_photos() -> impl Iterator<Item = &'static [u8]> {
    PEOPLE.iter().filter_map(|row| row.photo)
}

/// Appends one `name: value` line (or `name:: base64`), folded at 76 characters.
fn push_attr(out: &mut String, name: &str, value: &[u8]) {
    let line = if is_safe_string(value) {
        // Safe strings are ASCII by definition, so this conversion is lossless.
        format!("{name}: {}", String::from_utf8_lossy(value))
    } else {
        format!("{name}:: {}", BASE64.encode(value))
    };
    push_folded(out, &line);
}

/// RFC 2849 SAFE-STRING, plus no trailing space (which some readers strip).
fn is_safe_string(value: &[u8]) -> bool {
    let Some((&first, _)) = value.split_first() else {
        return true;
    };
    let safe_char = |b: u8| b < 0x80 && b != 0 && b != b'\n' && b != b'\r';
    safe_char(first)
        && first != b' '
        && first != b':'
        && first != b'<'
        && value.iter().all(|&b| safe_char(b))
        && value.last() != Some(&b' ')
}

const LDIF_LINE_MAX: usize = 76;

fn push_folded(out: &mut String, line: &str) {
    // Lines are ASCII here (safe strings or base64), so every char is one byte and
    // folding by char count folds by byte count.
    let mut width = 0;
    for c in line.chars() {
        if width == LDIF_LINE_MAX {
            out.push_str("\n ");
            width = 1;
        }
        out.push(c);
        width += 1;
    }
    out.push('\n');
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

/// Departments as (code, path), parents first.
const DEPARTMENTS: &[(&str, &[&str])] = &[
    ("EXEC", &["Executive"]),
    ("ENG", &["Engineering"]),
    ("ENG-PLT", &["Engineering", "Platform"]),
    ("ENG-MC", &["Engineering", "Mail Client"]),
    ("SALES", &["Sales"]),
    ("SALES-APAC", &["Sales", "APAC"]),
    ("SALES-EMEA", &["Sales", "EMEA"]),
    ("FIN", &["Finance"]),
    ("PEOPLE", &["People Ops"]),
];

/// One row of the people table; `pub(crate)` so seeding can pick senders without
/// allocating a whole `Person` per message.
pub(crate) struct PersonRow {
    pub(crate) uid: &'static str,
    pub(crate) cn: &'static str,
    pub(crate) sn: &'static str,
    pub(crate) given: &'static str,
    pub(crate) romanised: Option<&'static str>,
    pub(crate) title: &'static str,
    pub(crate) department: &'static str,
    pub(crate) manager: Option<&'static str>,
    pub(crate) office: Office,
    pub(crate) mobile: bool,
    pub(crate) photo: Option<&'static [u8]>,
}

macro_rules! photo {
    ($uid:literal) => {
        Some(include_bytes!(concat!("../data/photos/", $uid, ".jpg")))
    };
}

#[expect(
    clippy::too_many_arguments,
    reason = "one positional row per person keeps the table readable"
)]
const fn row(
    uid: &'static str,
    cn: &'static str,
    sn: &'static str,
    given: &'static str,
    romanised: Option<&'static str>,
    title: &'static str,
    department: &'static str,
    manager: Option<&'static str>,
    office: Office,
    mobile: bool,
    photo: Option<&'static [u8]>,
) -> PersonRow {
    PersonRow {
        uid,
        cn,
        sn,
        given,
        romanised,
        title,
        department,
        manager,
        office,
        mobile,
        photo,
    }
}

use Office::{Beijing, Berlin, London, Shanghai, Singapore};

/// Managers come before their reports.
#[rustfmt::skip]
pub(crate) const PEOPLE: &[PersonRow] = &[
    // Executive
    row("zhou.jianguo", "周建国", "周", "建国", Some("Jianguo Zhou"), "Chief Executive Officer", "EXEC", None, Shanghai, true, photo!("zhou.jianguo")),
    row("sophie.laurent", "Sophie Laurent", "Laurent", "Sophie", None, "Executive Assistant", "EXEC", Some("zhou.jianguo"), Shanghai, false, None),
    row("cao.yun", "曹云", "曹", "云", Some("Yun Cao"), "General Counsel", "EXEC", Some("zhou.jianguo"), Beijing, true, None),
    // Engineering and Platform
    row("margaret.hughes", "Margaret Hughes", "Hughes", "Margaret", None, "Chief Technology Officer", "ENG", Some("zhou.jianguo"), London, true, photo!("margaret.hughes")),
    row("wang.xiaoming", "王小明", "王", "小明", Some("Xiaoming Wang"), "Engineering Manager, Platform", "ENG-PLT", Some("margaret.hughes"), Shanghai, true, photo!("wang.xiaoming")),
    row("liu.yang", "刘洋", "刘", "洋", Some("Yang Liu"), "Senior Software Engineer", "ENG-PLT", Some("wang.xiaoming"), Shanghai, false, photo!("liu.yang")),
    row("priya.raman", "Priya Raman", "Raman", "Priya", None, "Site Reliability Engineer", "ENG-PLT", Some("wang.xiaoming"), Singapore, true, photo!("priya.raman")),
    row("zhang.min", "张敏", "张", "敏", Some("Min Zhang"), "Software Engineer", "ENG-PLT", Some("wang.xiaoming"), Shanghai, false, None),
    row("lucas.silva", "Lucas Silva", "Silva", "Lucas", None, "Software Engineer", "ENG-PLT", Some("wang.xiaoming"), Berlin, false, None),
    row("huang.lei", "黄磊", "黄", "磊", Some("Lei Huang"), "DevOps Engineer", "ENG-PLT", Some("wang.xiaoming"), Beijing, true, None),
    row("emma.schneider", "Emma Schneider", "Schneider", "Emma", None, "Security Engineer", "ENG-PLT", Some("wang.xiaoming"), Berlin, false, None),
    row("michael.obrien", "Michael O'Brien", "O'Brien", "Michael", None, "Software Engineer", "ENG-PLT", Some("wang.xiaoming"), London, false, None),
    row("han.mei", "韩梅", "韩", "梅", Some("Mei Han"), "Data Engineer", "ENG-PLT", Some("wang.xiaoming"), Beijing, false, None),
    // Two people romanise to Wang Wei; the second gets a numbered uid, as IT would do.
    row("wang.wei2", "汪伟", "汪", "伟", Some("Wei Wang"), "Site Reliability Engineer", "ENG-PLT", Some("wang.xiaoming"), Shanghai, false, None),
    // Mail Client
    row("thomas.berg", "Thomas Berg", "Berg", "Thomas", None, "Engineering Manager, Mail Client", "ENG-MC", Some("margaret.hughes"), Berlin, true, photo!("thomas.berg")),
    row("alice", "Alice Martin", "Martin", "Alice", None, "Senior Software Engineer", "ENG-MC", Some("thomas.berg"), London, true, photo!("alice")),
    row("bob", "Bob Chen", "Chen", "Bob", None, "Software Engineer", "ENG-MC", Some("thomas.berg"), Shanghai, false, photo!("bob")),
    row("zhao.lin", "赵琳", "赵", "琳", Some("Lin Zhao"), "UX Designer", "ENG-MC", Some("thomas.berg"), Shanghai, false, photo!("zhao.lin")),
    row("yang.fan", "杨帆", "杨", "帆", Some("Fan Yang"), "Software Engineer", "ENG-MC", Some("thomas.berg"), Shanghai, false, None),
    row("olivia.brown", "Olivia Brown", "Brown", "Olivia", None, "QA Engineer", "ENG-MC", Some("thomas.berg"), London, false, None),
    row("sun.hao", "孙浩", "孙", "浩", Some("Hao Sun"), "Software Engineer", "ENG-MC", Some("thomas.berg"), Beijing, true, None),
    row("mateo.garcia", "Mateo García", "García", "Mateo", None, "Product Manager", "ENG-MC", Some("thomas.berg"), Berlin, true, photo!("mateo.garcia")),
    row("wu.ting", "吴婷", "吴", "婷", Some("Ting Wu"), "Technical Writer", "ENG-MC", Some("thomas.berg"), Shanghai, false, None),
    row("deng.chao", "邓超", "邓", "超", Some("Chao Deng"), "Senior Software Engineer", "ENG-MC", Some("thomas.berg"), Beijing, false, None),
    row("ye.qiu", "叶秋", "叶", "秋", Some("Qiu Ye"), "Product Designer", "ENG-MC", Some("thomas.berg"), Shanghai, false, None),
    // Sales
    row("daniel.okafor", "Daniel Okafor", "Okafor", "Daniel", None, "VP Sales", "SALES", Some("zhou.jianguo"), London, true, None),
    row("lin.zhiqiang", "林志强", "林", "志强", Some("Zhiqiang Lin"), "Sales Director, APAC", "SALES-APAC", Some("daniel.okafor"), Singapore, true, photo!("lin.zhiqiang")),
    row("carol", "Carol 李", "李", "Carol", Some("Carol Li"), "Account Executive", "SALES-APAC", Some("lin.zhiqiang"), Shanghai, true, photo!("carol")),
    row("xu.hui", "徐慧", "徐", "慧", Some("Hui Xu"), "Account Executive", "SALES-APAC", Some("lin.zhiqiang"), Shanghai, true, photo!("xu.hui")),
    row("kenji.tanaka", "Kenji Tanaka", "Tanaka", "Kenji", None, "Sales Engineer", "SALES-APAC", Some("lin.zhiqiang"), Singapore, true, None),
    row("he.jun", "何军", "何", "军", Some("Jun He"), "Account Manager", "SALES-APAC", Some("lin.zhiqiang"), Beijing, true, None),
    row("ma.li", "马丽", "马", "丽", Some("Li Ma"), "Sales Operations Analyst", "SALES-APAC", Some("lin.zhiqiang"), Shanghai, false, None),
    row("an.nguyen", "An Nguyen", "Nguyen", "An", None, "Account Executive", "SALES-APAC", Some("lin.zhiqiang"), Singapore, true, None),
    row("peng.bo", "彭博", "彭", "博", Some("Bo Peng"), "Account Executive", "SALES-APAC", Some("lin.zhiqiang"), Beijing, true, None),
    row("james.smith", "James Smith", "Smith", "James", None, "Sales Director, EMEA", "SALES-EMEA", Some("daniel.okafor"), London, true, photo!("james.smith")),
    row("anna.kowalska", "Anna Kowalska", "Kowalska", "Anna", None, "Account Executive", "SALES-EMEA", Some("james.smith"), Berlin, true, None),
    row("pierre.dubois", "Pierre Dubois", "Dubois", "Pierre", None, "Account Executive", "SALES-EMEA", Some("james.smith"), London, true, None),
    row("fatima.elamrani", "Fatima El Amrani", "El Amrani", "Fatima", None, "Sales Engineer", "SALES-EMEA", Some("james.smith"), London, false, None),
    row("lars.nielsen", "Lars Nielsen", "Nielsen", "Lars", None, "Account Manager", "SALES-EMEA", Some("james.smith"), Berlin, true, None),
    row("zhu.qing", "朱青", "朱", "青", Some("Qing Zhu"), "Account Executive", "SALES-EMEA", Some("james.smith"), London, true, None),
    row("isabella.rossi", "Isabella Rossi", "Rossi", "Isabella", None, "Partner Manager", "SALES-EMEA", Some("james.smith"), Berlin, false, None),
    // Finance
    row("li.wei", "李伟", "李", "伟", Some("Wei Li"), "Chief Financial Officer", "FIN", Some("zhou.jianguo"), Shanghai, true, photo!("li.wei")),
    row("guo.hong", "郭红", "郭", "红", Some("Hong Guo"), "Finance Manager", "FIN", Some("li.wei"), Shanghai, false, None),
    row("david.cohen", "David Cohen", "Cohen", "David", None, "Financial Controller", "FIN", Some("li.wei"), London, false, None),
    row("rachel.kim", "Rachel Kim", "Kim", "Rachel", None, "Financial Analyst", "FIN", Some("guo.hong"), Singapore, false, None),
    row("luo.ping", "罗平", "罗", "平", Some("Ping Luo"), "Accountant", "FIN", Some("guo.hong"), Shanghai, false, None),
    row("tang.yu", "唐宇", "唐", "宇", Some("Yu Tang"), "Accounts Payable Specialist", "FIN", Some("guo.hong"), Shanghai, false, None),
    row("wang.wei", "王伟", "王", "伟", Some("Wei Wang"), "Financial Analyst", "FIN", Some("guo.hong"), Beijing, false, None),
    // People Ops
    row("chen.jing", "陈静", "陈", "静", Some("Jing Chen"), "Head of People", "PEOPLE", Some("zhou.jianguo"), Shanghai, true, photo!("chen.jing")),
    row("hannah.mueller", "Hannah Müller", "Müller", "Hannah", None, "HR Business Partner", "PEOPLE", Some("chen.jing"), Berlin, false, photo!("hannah.mueller")),
    row("feng.xue", "冯雪", "冯", "雪", Some("Xue Feng"), "Recruiter", "PEOPLE", Some("chen.jing"), Beijing, false, photo!("feng.xue")),
    row("grace.liu", "Grace Liu", "Liu", "Grace", None, "Recruiter", "PEOPLE", Some("chen.jing"), Singapore, false, None),
    row("song.tao", "宋涛", "宋", "涛", Some("Tao Song"), "Workplace and IT Coordinator", "PEOPLE", Some("chen.jing"), Shanghai, true, None),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    const BASE: &str = "dc=example,dc=test";

    /// A minimal RFC 2849 reader: unfolds lines and decodes `::` values.
    fn parse_ldif(ldif: &str) -> Vec<Vec<(String, Vec<u8>)>> {
        let mut logical: Vec<String> = Vec::new();
        for line in ldif.split('\n') {
            if let Some(rest) = line.strip_prefix(' ') {
                if let Some(last) = logical.last_mut() {
                    last.push_str(rest);
                }
            } else {
                logical.push(line.to_owned());
            }
        }
        let mut records = Vec::new();
        let mut current = Vec::new();
        for line in logical {
            if line.is_empty() {
                if !current.is_empty() {
                    records.push(std::mem::take(&mut current));
                }
                continue;
            }
            let (name, value) = line.split_once(':').expect("attribute line has a colon");
            let value = if let Some(b64) = value.strip_prefix(": ") {
                BASE64.decode(b64).expect("valid base64")
            } else {
                value.strip_prefix(' ').unwrap_or(value).as_bytes().to_vec()
            };
            current.push((name.to_owned(), value));
        }
        if !current.is_empty() {
            records.push(current);
        }
        assert!(records.iter().all(|r| r[0].0 == "dn"));
        records
    }

    fn ldif() -> String {
        organisation_ldif(BASE, "example.test", &PhotoSource::Bundled).expect("ldif")
    }

    fn values<'a>(record: &'a [(String, Vec<u8>)], name: &str) -> Vec<&'a [u8]> {
        record
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
            .collect()
    }

    #[test]
    fn about_fifty_people_with_unique_uids_and_numbers() {
        let people = people();
        assert!((45..=60).contains(&people.len()), "{}", people.len());
        let uids: BTreeSet<_> = people.iter().map(|p| &p.uid).collect();
        assert_eq!(uids.len(), people.len());
        let numbers: BTreeSet<_> = people.iter().map(|p| &p.employee_number).collect();
        assert_eq!(numbers.len(), people.len());
        assert!(people.iter().all(|p| p.mail_local.is_ascii()));
        let chinese = people.iter().filter(|p| p.has_chinese_name()).count();
        assert!(chinese >= 15 && chinese <= people.len() - 15, "{chinese}");
        let photos = people.iter().filter(|p| p.photo.is_some()).count();
        assert!(
            (people.len() / 4..=people.len() / 2).contains(&photos),
            "{photos}"
        );
    }

    #[test]
    fn mail_test_users_match() {
        let people = people();
        let find = |uid: &str| people.iter().find(|p| p.uid == uid).expect(uid).clone();
        let alice = find("alice");
        assert_eq!(alice.cn, "Alice Martin");
        assert_eq!(alice.mail("example.test"), "alice@example.test");
        assert_eq!(alice.department_code, "ENG-MC");
        assert_eq!(find("bob").display_name, "Bob Chen");
        assert_eq!(find("bob").mail("example.test"), "bob@example.test");
        assert_eq!(find("carol").cn, "Carol 李");
        assert_eq!(find("carol").mail("example.test"), "carol@example.test");
    }

    #[test]
    fn management_chain_is_a_tree_rooted_at_the_ceo() {
        let people = people();
        let by_uid: BTreeMap<_, _> = people.iter().map(|p| (p.uid.as_str(), p)).collect();
        let roots: Vec<_> = people.iter().filter(|p| p.manager_uid.is_none()).collect();
        assert_eq!(roots.len(), 1);
        assert_eq!(roots[0].title, "Chief Executive Officer");
        for person in &people {
            let mut steps = 0;
            let mut current = person;
            while let Some(manager) = &current.manager_uid {
                current = by_uid.get(manager.as_str()).expect("manager exists");
                steps += 1;
                assert!(steps < 10, "management loop at {}", person.uid);
            }
            assert_eq!(current.uid, roots[0].uid);
        }
    }

    #[test]
    fn manager_and_department_references_resolve_in_the_ldif() {
        let records = parse_ldif(&ldif());
        let dns: BTreeSet<String> = records
            .iter()
            .map(|r| String::from_utf8(r[0].1.clone()).expect("utf-8 dn"))
            .collect();
        let codes: BTreeSet<String> = departments().into_iter().map(|d| d.code).collect();
        let mut people_seen = 0;
        for record in &records {
            let dn = String::from_utf8(record[0].1.clone()).expect("utf-8 dn");
            // Every entry's parent exists, so slapadd can add them in order.
            if dn != BASE {
                let parent = dn.split_once(',').expect("dn has a parent").1;
                assert!(dns.contains(parent), "parent of {dn}");
            }
            if !dn.starts_with("uid=") {
                continue;
            }
            people_seen += 1;
            for manager in values(record, "manager") {
                let manager = std::str::from_utf8(manager).expect("ascii");
                assert!(
                    manager.starts_with("uid=") && dns.contains(manager),
                    "{manager}"
                );
            }
            let number = values(record, "departmentNumber");
            assert_eq!(number.len(), 1);
            assert!(codes.contains(std::str::from_utf8(number[0]).expect("ascii")));
            let ou = values(record, "ou");
            assert_eq!(ou.len(), 1);
            let ou = std::str::from_utf8(ou[0]).expect("ascii");
            assert!(
                dns.iter().any(|d| d.starts_with(&format!("ou={ou},"))),
                "{ou}"
            );
        }
        assert_eq!(people_seen, people().len());
        for department in departments() {
            assert!(dns.contains(&department.dn(BASE)), "{:?}", department.path);
        }
        assert!(dns.contains(&department_dn_for("Mail Client")));
    }

    fn department_dn_for(name: &str) -> String {
        departments()
            .into_iter()
            .find(|d| d.name() == name)
            .expect("department")
            .dn(BASE)
    }

    #[test]
    fn ldif_is_ascii_and_round_trips_chinese_names() {
        let text = ldif();
        assert!(text.is_ascii(), "raw non-ASCII byte in LDIF");
        assert!(text.lines().all(|l| l.len() <= 77));
        assert!(text.contains("cn:: "), "Chinese names are base64-encoded");
        let records = parse_ldif(&text);
        let wang = records
            .iter()
            .find(|r| r[0].1 == format!("uid=wang.xiaoming,ou=people,{BASE}").as_bytes())
            .expect("wang.xiaoming");
        assert_eq!(values(wang, "cn")[0], "王小明".as_bytes());
        assert_eq!(values(wang, "cn")[1], b"Xiaoming Wang");
        assert_eq!(values(wang, "sn")[0], "王".as_bytes());
        assert_eq!(values(wang, "givenName")[0], "小明".as_bytes());
        assert_eq!(values(wang, "mail")[0], b"wang.xiaoming@example.test");
        let photo = values(wang, "jpegPhoto");
        assert_eq!(photo.len(), 1);
        assert!(photo[0].starts_with(&[0xFF, 0xD8, 0xFF]));
        let mueller = records
            .iter()
            .find(|r| r[0].1.starts_with(b"uid=hannah.mueller,"))
            .expect("hannah");
        assert_eq!(values(mueller, "sn")[0], "Müller".as_bytes());
        let ceo = records
            .iter()
            .find(|r| r[0].1.starts_with(b"uid=zhou.jianguo,"))
            .expect("ceo");
        assert!(values(ceo, "manager").is_empty());
    }

    #[test]
    fn photos_are_small_jpegs_and_can_be_left_out() {
        let photos: Vec<_> = bundled_photos().collect();
        assert!(photos.len() >= 6);
        for photo in &photos {
            assert!(photo.starts_with(&[0xFF, 0xD8]), "JPEG SOI marker");
            assert!(photo.ends_with(&[0xFF, 0xD9]), "JPEG EOI marker");
            assert!(photo.len() < 5 * 1024);
        }
        let without = organisation_ldif(BASE, "example.test", &PhotoSource::Omit).expect("ldif");
        assert!(!without.contains("jpegPhoto"));
        assert!(ldif().matches("jpegPhoto:: ").count() == photos.len());
    }

    #[test]
    fn unsafe_values_are_base64() {
        assert!(is_safe_string(b"Alice Martin"));
        assert!(is_safe_string(b""));
        for unsafe_value in [
            &b" leading"[..],
            b":colon",
            b"<angle",
            b"trailing ",
            b"a\nb",
            "é".as_bytes(),
        ] {
            assert!(!is_safe_string(unsafe_value), "{unsafe_value:?}");
        }
        let mut out = String::new();
        push_attr(&mut out, "description", &[b'x'; 200]);
        let lines: Vec<_> = out.lines().collect();
        assert_eq!(lines[0].len(), 76);
        assert!(
            lines[1..]
                .iter()
                .all(|l| l.starts_with(' ') && l.len() <= 76)
        );
        let unfolded: String = lines
            .iter()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect();
        assert_eq!(unfolded, format!("description: {}", "x".repeat(200)));
    }

    #[test]
    fn base_dn_must_start_with_dc() {
        assert!(organisation_ldif("o=Example", "example.test", &PhotoSource::Omit).is_err());
        assert!(organisation_ldif(BASE, "bad domain", &PhotoSource::Omit).is_err());
        let other = organisation_ldif("dc=corp,dc=example", "corp.example", &PhotoSource::Omit)
            .expect("ldif");
        assert!(other.contains("dc: corp\n"));
        assert!(other.contains("mail: alice@corp.example\n"));
    }
}
