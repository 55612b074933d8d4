//! Signing in to the console: sessions, their cookies and CSRF tokens, and
//! the lockout that makes guessing passwords slow.
//!
//! A session is a random 256-bit id in an HttpOnly, SameSite=Strict cookie
//! (Secure behind TLS), kept in memory: a restarted node asks staff to sign
//! in again, which costs them one form. Each session has its own CSRF token,
//! which every form carries back. A session ends at sign-out, after
//! [`IDLE`] without a request, or when its account is closed.
//!
//! Five wrong passwords lock an account for [`LOCKOUT`]; an address that
//! keeps failing is answered only after a pause, whatever name it tries.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::staff::{Account, Role, Staff, StaffError};

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::from_secs(60 * 60);
/// Wrong passwords in a row that lock an account.
pub const MAX_FAILURES: u32 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// The pause before answering an address that has failed
/// [`MAX_FAILURES`] times or more.
pub const SLOWDOWN: Duration = Duration::from_secs(2);
/// The session cookie's name.
pub const COOKIE: &str = "yiyi_session";

/// A signed-in member of staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The session's id (the cookie's value).
    pub id: String,
    /// Who.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// The token every form of this session carries.
    pub csrf: String,
    /// They must choose their own password before anything else.
    pub must_change: bool,
}

/// Why signing in failed.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong name or password (which, is not said).
    #[error("用户名或密码错误")]
    Wrong,
    /// Locked after too many wrong passwords.
    #[error("错误次数过多，账号已锁定，请 {0} 分钟后再试")]
    Locked(u64),
    /// The account is closed.
    #[error("该账号已停用，请联系书记")]
    Disabled,
    /// The accounts could not be read.
    #[error("账号文件无法读取：{0}")]
    Accounts(StaffError),
}

struct Entry {
    session: Session,
    seen: Instant,
}

#[derive(Default)]
struct Failures {
    /// Per account: wrong passwords in a row, and the lock's end.
    accounts: HashMap<String, (u32, Option<Instant>)>,
    /// Per address: wrong passwords in a row.
    addresses: HashMap<IpAddr, u32>,
}

/// The console's sessions and sign-in state.
pub struct Sessions {
    staff: Staff,
    live: Mutex<HashMap<String, Entry>>,
    failures: Mutex<Failures>,
}

/// 32 random bytes, hex.
fn token() -> String {
    let mut bytes = [0u8; 32];
    // Without randomness no session can be safe: fail loudly.
    getrandom::fill(&mut bytes).expect("the OS gives randomness");
    hex::encode(bytes)
}

impl Sessions {
    /// Sessions over the accounts `staff`.
    pub fn new(staff: Staff) -> Sessions {
        Sessions {
            staff,
            live: Mutex::new(HashMap::new()),
            failures: Mutex::new(Failures::default()),
        }
    }

    /// The accounts.
    pub fn staff(&self) -> &Staff {
        &self.staff
    }

    /// How long `from` must wait before its sign-in is answered.
    pub fn pause_for(&self, from: IpAddr) -> Duration {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match failures.addresses.get(&from) {
            Some(n) if *n >= MAX_FAILURES => SLOWDOWN,
            _ => Duration::ZERO,
        }
    }

    /// Signs `name` in with `password` from `from`; a new session.
    pub fn sign_in(
        &self,
        name: &str,
        password: &str,
        from: IpAddr,
    ) -> Result<Session, SignInError> {
        let now = Instant::now();
        {
            let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, Some(until))) = failures.accounts.get(name).copied() {
                if until > now {
                    let minutes = (until - now).as_secs().div_ceil(60);
                    return Err(SignInError::Locked(minutes));
                }
                failures.accounts.remove(name);
            }
        }
        let account = match self.staff.authenticate(name, password) {
            Ok(account) => account,
            Err(StaffError::WrongPassword) => {
                let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
                *failures.addresses.entry(from).or_default() += 1;
                let (count, until) = failures.accounts.entry(name.to_owned()).or_default();
                *count += 1;
                if *count >= MAX_FAILURES {
                    *until = Some(now + LOCKOUT);
                }
                return Err(SignInError::Wrong);
            }
            Err(StaffError::Disabled(_)) => return Err(SignInError::Disabled),
            Err(e) => return Err(SignInError::Accounts(e)),
        };
        {
            let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
            failures.accounts.remove(name);
            failures.addresses.remove(&from);
        }
        Ok(self.open(&account))
    }

    fn open(&self, account: &Account) -> Session {
        let session = Session {
            id: token(),
            name: account.name.clone(),
            role: account.role,
            csrf: token(),
            must_change: account.must_change,
        };
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|_, e| e.seen.elapsed() < IDLE);
        live.insert(
            session.id.clone(),
            Entry {
                session: session.clone(),
                seen: Instant::now(),
            },
        );
        session
    }

    /// The live session with this id, seen now; `None` if there is none,
    /// it idled out, or its account was closed or changed role since.
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let entry = live.get_mut(id)?;
        let account = self.staff.get(&entry.session.name).ok();
        let valid = entry.seen.elapsed() < IDLE
            && account
                .as_ref()
                .is_some_and(|a| !a.disabled && a.role == entry.session.role);
        if !valid {
            live.remove(id);
            return None;
        }
        entry.seen = Instant::now();
        Some(entry.session.clone())
    }

    /// Ends a session.
    pub fn sign_out(&self, id: &str) {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// The session chose its own password: it may go on.
    pub fn password_changed(&self, id: &str) {
        if let Some(entry) = self
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(id)
        {
            entry.session.must_change = false;
        }
    }
}

/// Whether `given` is the session's CSRF token (constant time).
pub fn csrf_matches(session: &Session, given: &str) -> bool {
    let (a, b) = (session.csrf.as_bytes(), given.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
