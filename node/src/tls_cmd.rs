//! `yiyi-node tls`: certificates for the node's own HTTPS. `self-signed`
//! makes one for trying HTTPS on a closed network; the fingerprint it
//! prints is what a phone's browser shows, to compare before trusting it.

use std::path::PathBuf;

use clap::Subcommand;
use yiyi_node::tls::{self, TlsFiles};

/// `yiyi-node tls`.
#[derive(Subcommand)]
pub(crate) enum TlsCommand {
    /// Make a self-signed certificate and its key, and print its fingerprints.
    SelfSigned {
        /// A host name browsers will open (board.shunyu.example) or an IP
        /// address (192.168.1.20); repeat for each name the node answers to.
        #[arg(long = "name", required = true)]
        names: Vec<String>,
        /// Where to write the certificate (PEM).
        #[arg(long, default_value = "yiyi.crt")]
        cert: PathBuf,
        /// Where to write the private key (PEM, readable by its owner only; not overwritten).
        #[arg(long, default_value = "yiyi.key")]
        key: PathBuf,
        /// How many days it is valid.
        #[arg(long, default_value_t = 397)]
        days: u32,
    },
}

pub(crate) fn run(command: &TlsCommand) -> anyhow::Result<()> {
    match command {
        TlsCommand::SelfSigned {
            names,
            cert,
            key,
            days,
        } => {
            let files = TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            };
            let printed = tls::self_signed(names, *days, &files)?;
            println!("certificate {}", cert.display());
            println!("key {}", key.display());
            println!("sha256 {}", printed.certificate);
            println!("spki-sha256 {}", printed.public_key);
            eprintln!(
                "Serve it with: yiyi-node run --data DIR --tls-cert {} --tls-key {}\n\
                 A browser will warn that it does not know who signed it: compare the SHA-256 \
                 fingerprint it shows with the sha256 line above before going on.",
                cert.display(),
                key.display()
            );
            Ok(())
        }
    }
}
