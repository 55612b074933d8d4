//! `yiyi-node staff`: an office's staff accounts, managed on the node's
//! machine (whoever can read the data directory runs the office anyway).
//! Works whether the node runs or not: accounts are a file the node reads
//! at each sign-in ([`yiyi_node::staff`]).

use std::path::PathBuf;

use clap::Subcommand;
use yiyi_node::staff::{Role, Staff};

/// `yiyi-node staff`.
#[derive(Subcommand)]
pub(crate) enum StaffCommand {
    /// Create an account; prints a one-time password, to be changed at the first sign-in.
    Add {
        /// The data directory.
        #[arg(long)]
        data: PathBuf,
        /// The person's name, which they sign in with, e.g. 张红.
        #[arg(long)]
        name: String,
        /// secretary (approves, admits by charter, decides escalations, manages staff), staff (records the procedure) or viewer (reads only).
        #[arg(long, value_parser = Role::parse)]
        role: Role,
    },
    /// List the accounts.
    List {
        /// The data directory.
        #[arg(long)]
        data: PathBuf,
    },
    /// Close an account: it can no longer sign in, and its sessions end.
    Disable {
        /// The data directory.
        #[arg(long)]
        data: PathBuf,
        /// The account.
        #[arg(long)]
        name: String,
    },
    /// Give an account a new one-time password (and open it again).
    Reset {
        /// The data directory.
        #[arg(long)]
        data: PathBuf,
        /// The account.
        #[arg(long)]
        name: String,
    },
}

/// Runs `yiyi-node staff`.
pub(crate) fn run(command: &StaffCommand) -> anyhow::Result<()> {
    match command {
        StaffCommand::Add { data, name, role } => {
            let password = Staff::new(data).add(name, *role)?;
            println!("{password}");
            eprintln!(
                "account {name} ({}) created: give them this one-time password; they choose their own at the first sign-in",
                role.name()
            );
        }
        StaffCommand::List { data } => {
            for a in Staff::new(data).list()? {
                let state = match (a.disabled, a.must_change) {
                    (true, _) => "disabled",
                    (false, true) => "must change password",
                    (false, false) => "active",
                };
                println!("{}\t{}\t{state}", a.name, a.role.name());
            }
        }
        StaffCommand::Disable { data, name } => Staff::new(data).disable(name)?,
        StaffCommand::Reset { data, name } => {
            let password = Staff::new(data).reset(name)?;
            println!("{password}");
            eprintln!(
                "account {name}: new one-time password; they choose their own at the next sign-in"
            );
        }
    }
    Ok(())
}
