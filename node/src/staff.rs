//! Staff accounts (工作人员账号): the people who work an office's console,
//! each with a password of their own and a role. The API token stays for
//! scripts and the CLI; people sign in as themselves, so that what each of
//! them wrote can be told apart (the audit log) and a departing volunteer's
//! account can be closed without changing anyone else's.
//!
//! Accounts live in `DIR/staff.json` (mode 0600), not in a sled database,
//! so that `yiyi-node staff …` can manage them while the node runs: every
//! change reads the file, changes it and renames a new one into place under
//! an exclusive lock (`DIR/staff.lock`), and the node reads it afresh at
//! each sign-in. Passwords are kept only as Argon2id hashes (PHC strings).

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};

/// Shortest password a person may choose.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// What a member of staff may do (角色).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// 书记/主任: the party secretary or the director. Approves referred
    /// disputes, admits and revokes by charter, decides escalations,
    /// manages staff, and records like staff.
    Secretary,
    /// 工作人员: records the procedure.
    Staff,
    /// 查看: supervisors and auditors; reads only.
    Viewer,
}

/// Something a role may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Record the procedure: topics, meetings, outcomes, progress, …
    Record,
    /// Approve a referred dispute for consultation (the party organisation's
    /// decision, 党组织审定).
    Approve,
    /// Admit, revoke or re-key an office by charter.
    Charter,
    /// Decide an escalated matter: accept, return, forward.
    Decide,
    /// Read the audit log and manage staff.
    ManageStaff,
}

impl Role {
    /// Its name on the command line and in `staff.json`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Secretary => "secretary",
            Role::Staff => "staff",
            Role::Viewer => "viewer",
        }
    }

    /// Its name in Chinese, as the console shows it.
    pub fn zh(self) -> &'static str {
        match self {
            Role::Secretary => "书记/主任",
            Role::Staff => "工作人员",
            Role::Viewer => "查看",
        }
    }

    /// Whether this role may do `what`.
    pub fn may(self, what: Permission) -> bool {
        match self {
            Role::Secretary => true,
            Role::Staff => what == Permission::Record,
            Role::Viewer => false,
        }
    }

    /// Parses `secretary`, `staff` or `viewer`.
    pub fn parse(text: &str) -> Result<Role, String> {
        match text {
            "secretary" => Ok(Role::Secretary),
            "staff" => Ok(Role::Staff),
            "viewer" => Ok(Role::Viewer),
            other => Err(format!(
                "{other:?} is not a role: secretary, staff or viewer"
            )),
        }
    }
}

/// One account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The person's name, which is also what they sign in with, e.g. 张红.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// Argon2id hash of the password, as a PHC string.
    pub password: String,
    /// The password was given to them (`add`, `reset`): they must choose
    /// their own at the next sign-in.
    pub must_change: bool,
    /// Closed: cannot sign in, and open sessions end.
    pub disabled: bool,
}

/// The file's contents.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Accounts {
    accounts: Vec<Account>,
}

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// Reading or writing the accounts file.
    #[error("the staff accounts file {path}: {source}")]
    Io {
        /// Which file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The accounts file does not parse.
    #[error("the staff accounts file is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// An account of that name exists.
    #[error("there is already an account named {0}")]
    Exists(String),
    /// No account of that name.
    #[error("there is no account named {0}")]
    Unknown(String),
    /// The name or the password is wrong (which, is not said).
    #[error("wrong name or password")]
    WrongPassword,
    /// The account is closed.
    #[error("the account {0} is disabled")]
    Disabled(String),
    /// A new password that is too weak.
    #[error("{0}")]
    WeakPassword(String),
    /// A name that cannot be an account's.
    #[error("{0}")]
    BadName(String),
    /// No randomness for a salt or a password.
    #[error("no randomness: {0}")]
    Randomness(String),
    /// Hashing failed.
    #[error("hashing the password: {0}")]
    Hash(String),
}

/// The accounts of one node's data directory.
#[derive(Debug, Clone)]
pub struct Staff {
    file: PathBuf,
    lock: PathBuf,
}

/// Letters and digits that cannot be mistaken for one another when read
/// aloud or copied from paper (no 0/o, 1/l/i).
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// `n` random characters of [`ALPHABET`].
fn random_text(n: usize) -> Result<String, StaffError> {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        let mut byte = [0u8; 1];
        getrandom::fill(&mut byte).map_err(|e| StaffError::Randomness(e.to_string()))?;
        // Rejection keeps every character equally likely.
        let limit = 256 - 256 % ALPHABET.len();
        if usize::from(byte[0]) < limit {
            out.push(char::from(ALPHABET[usize::from(byte[0]) % ALPHABET.len()]));
        }
    }
    Ok(out)
}

/// The Argon2id hash of `password` with a fresh salt (the crate's
/// defaults: 19 MiB, 2 passes, 1 lane, OWASP's recommendation).
fn hash(password: &str) -> Result<String, StaffError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| StaffError::Randomness(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| StaffError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StaffError::Hash(e.to_string()))
}

/// Whether `password` hashes to `phc`.
fn matches(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A password a person chose, checked.
fn chosen(password: &str, old: &str) -> Result<(), StaffError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StaffError::WeakPassword(format!(
            "a password has at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password == old {
        return Err(StaffError::WeakPassword(
            "the new password must differ from the old one".into(),
        ));
    }
    Ok(())
}

impl Staff {
    /// The accounts of the data directory `dir`.
    pub fn new(dir: &Path) -> Staff {
        Staff {
            file: dir.join("staff.json"),
            lock: dir.join("staff.lock"),
        }
    }

    fn io(&self, path: &Path) -> impl Fn(std::io::Error) -> StaffError {
        let path = path.display().to_string();
        move |source| StaffError::Io {
            path: path.clone(),
            source,
        }
    }

    /// Reads the accounts (none if the file is missing).
    fn read(&self) -> Result<Accounts, StaffError> {
        match fs::read(&self.file) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Accounts::default()),
            Err(e) => Err(self.io(&self.file)(e)),
        }
    }

    /// Runs `change` on the accounts under the exclusive lock and writes
    /// the result back (a new file, synced, renamed into place).
    fn change<T>(
        &self,
        change: impl FnOnce(&mut Vec<Account>) -> Result<T, StaffError>,
    ) -> Result<T, StaffError> {
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&self.lock)
            .map_err(self.io(&self.lock))?;
        // Held until `lock` is closed at the end of this function.
        // SAFETY: flock on a descriptor this function owns.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(self.io(&self.lock)(std::io::Error::last_os_error()));
        }
        let mut accounts = self.read()?;
        let out = change(&mut accounts.accounts)?;
        let next = self.file.with_extension("json.new");
        let mut file = fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&next)
            .map_err(self.io(&next))?;
        file.write_all(&serde_json::to_vec_pretty(&accounts)?)
            .and_then(|()| file.sync_all())
            .map_err(self.io(&next))?;
        fs::rename(&next, &self.file).map_err(self.io(&self.file))?;
        drop(lock);
        Ok(out)
    }

    /// Adds an account; returns its one-time password, to be changed at the
    /// first sign-in.
    pub fn add(&self, name: &str, role: Role) -> Result<String, StaffError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 40 || name.chars().any(char::is_control) {
            return Err(StaffError::BadName(
                "a name has 1 to 40 characters and no control characters".into(),
            ));
        }
        let password = random_text(12)?;
        let hashed = hash(&password)?;
        self.change(|accounts| {
            if accounts.iter().any(|a| a.name == name) {
                return Err(StaffError::Exists(name.to_owned()));
            }
            accounts.push(Account {
                name: name.to_owned(),
                role,
                password: hashed,
                must_change: true,
                disabled: false,
            });
            Ok(())
        })?;
        Ok(password)
    }

    /// Every account.
    pub fn list(&self) -> Result<Vec<Account>, StaffError> {
        Ok(self.read()?.accounts)
    }

    /// The account `name`.
    pub fn get(&self, name: &str) -> Result<Account, StaffError> {
        self.list()?
            .into_iter()
            .find(|a| a.name == name)
            .ok_or_else(|| StaffError::Unknown(name.to_owned()))
    }

    /// Closes an account: it can no longer sign in.
    pub fn disable(&self, name: &str) -> Result<(), StaffError> {
        self.change(|accounts| {
            let account = accounts
                .iter_mut()
                .find(|a| a.name == name)
                .ok_or_else(|| StaffError::Unknown(name.to_owned()))?;
            account.disabled = true;
            Ok(())
        })
    }

    /// Gives an account a new one-time password (and opens it again);
    /// returns the password.
    pub fn reset(&self, name: &str) -> Result<String, StaffError> {
        let password = random_text(12)?;
        let hashed = hash(&password)?;
        self.change(|accounts| {
            let account = accounts
                .iter_mut()
                .find(|a| a.name == name)
                .ok_or_else(|| StaffError::Unknown(name.to_owned()))?;
            account.password = hashed;
            account.must_change = true;
            account.disabled = false;
            Ok(())
        })?;
        Ok(password)
    }

    /// The account, if `password` is its password and it is open. An
    /// unknown name costs a hash too, so that timing does not tell which
    /// names exist.
    pub fn authenticate(&self, name: &str, password: &str) -> Result<Account, StaffError> {
        let Some(account) = self.list()?.into_iter().find(|a| a.name == name) else {
            let _ = matches(DUMMY_HASH, password);
            return Err(StaffError::WrongPassword);
        };
        if !matches(&account.password, password) {
            return Err(StaffError::WrongPassword);
        }
        if account.disabled {
            return Err(StaffError::Disabled(account.name));
        }
        Ok(account)
    }

    /// Sets the password `name` chose, given the one it has.
    pub fn change_password(&self, name: &str, old: &str, new: &str) -> Result<(), StaffError> {
        chosen(new, old)?;
        self.authenticate(name, old)?;
        let hashed = hash(new)?;
        self.change(|accounts| {
            let account = accounts
                .iter_mut()
                .find(|a| a.name == name)
                .ok_or_else(|| StaffError::Unknown(name.to_owned()))?;
            account.password = hashed;
            account.must_change = false;
            Ok(())
        })
    }
}

/// A hash of nothing anyone types, checked against for unknown names.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3gmJ8lB4h8h0U9HHbSyCgk0m4mIRzlx3Ao3U1vGX0C0";
