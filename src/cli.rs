//! The command line. Everything is checked here, before a window opens: a bad
//! URL, filter or profile name exits with a clear message and a non-zero code.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::{AppOptions, Startup};
use crate::mqtt::{parse_broker_url, validate_filter};
use crate::profiles::ProfileStore;

#[derive(Debug, Parser)]
#[command(
    name = "mqscope",
    version,
    about = "A desktop MQTT explorer: live topic tree, payload inspector, live charts, publish form"
)]
pub struct Cli {
    /// Connect to this broker: mqtt://[user[:pass]@]host[:port]
    #[arg(long, value_name = "URL", conflicts_with = "demo")]
    pub broker: Option<String>,

    /// Subscribe to this topic filter (repeatable; default #)
    #[arg(long = "subscribe", value_name = "FILTER")]
    pub subscribe: Vec<String>,

    /// Start the built-in demo broker with simulated sensors and connect to it
    #[arg(long)]
    pub demo: bool,

    /// Connect with the saved profile of this name
    #[arg(long, value_name = "NAME", conflicts_with_all = ["broker", "demo"])]
    pub profile: Option<String>,

    /// Once a second, replace this file with the app's counters as JSON
    #[arg(long, value_name = "PATH")]
    pub stats_json: Option<PathBuf>,

    /// Append every received message to this file as one JSON line
    #[arg(long, value_name = "PATH")]
    pub record: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Subcommands>,
}

#[derive(Debug, Subcommand)]
pub enum Subcommands {
    /// Publish the demo's simulated sensors to a broker (no window), until Ctrl+C
    Simulate {
        /// The broker to publish to: mqtt://[user[:pass]@]host[:port]
        #[arg(long, value_name = "URL")]
        broker: String,
        /// Seed of the simulated values
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// What `main` should run.
#[derive(Debug)]
pub enum Run {
    Gui(AppOptions),
    Simulate { host: String, port: u16, seed: u64 },
}

impl Cli {
    /// Check every argument and decide what to run; the error is for the user.
    pub fn resolve(self) -> Result<Run, String> {
        if let Some(Subcommands::Simulate { broker, seed }) = self.command {
            let spec = parse_broker_url(&broker)?;
            return Ok(Run::Simulate {
                host: spec.host,
                port: spec.port,
                seed,
            });
        }
        for filter in &self.subscribe {
            validate_filter(filter).map_err(|e| format!("--subscribe {e}"))?;
        }
        let config_dir = ProfileStore::default_dir();
        let startup = if let Some(url) = &self.broker {
            let mut spec = parse_broker_url(url)?;
            if !self.subscribe.is_empty() {
                spec.subscriptions = self.subscribe.clone();
            }
            Startup::Connect(spec)
        } else if self.demo {
            if !self.subscribe.is_empty() {
                return Err("--subscribe goes with --broker; the demo subscribes to #".into());
            }
            Startup::Demo
        } else if let Some(name) = &self.profile {
            if !self.subscribe.is_empty() {
                return Err("--subscribe goes with --broker; a profile has its own subscriptions".into());
            }
            let (store, warning) = ProfileStore::load(&config_dir);
            if let Some(warning) = warning {
                return Err(warning);
            }
            if store.get(name).is_none() {
                let names: Vec<&str> = store.profiles().iter().map(|p| p.name.as_str()).collect();
                return Err(if names.is_empty() {
                    format!(
                        "There is no profile named '{name}': no profiles are saved in {}",
                        store.dir().display()
                    )
                } else {
                    format!(
                        "There is no profile named '{name}'. Saved profiles: {}",
                        names.join(", ")
                    )
                });
            }
            Startup::Profile(name.clone())
        } else {
            if !self.subscribe.is_empty() {
                return Err("--subscribe goes with --broker".into());
            }
            Startup::Welcome
        };
        Ok(Run::Gui(AppOptions {
            startup,
            config_dir,
            stats_json: self.stats_json,
            record: self.record,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(args: &[&str]) -> Result<Run, String> {
        let cli =
            Cli::try_parse_from(std::iter::once("mqscope").chain(args.iter().copied())).map_err(|e| e.to_string())?;
        cli.resolve()
    }

    #[test]
    fn broker_with_filters() {
        let Ok(Run::Gui(options)) = resolve(&[
            "--broker",
            "mqtt://u:p@h:1884",
            "--subscribe",
            "a/#",
            "--subscribe",
            "b/+",
        ]) else {
            panic!("expected the GUI");
        };
        let Startup::Connect(spec) = options.startup else {
            panic!("expected a connection")
        };
        assert_eq!(spec.address(), "h:1884");
        assert_eq!(spec.subscriptions, ["a/#", "b/+"]);
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(
            resolve(&["--broker", "mqtt://h:notaport"])
                .unwrap_err()
                .contains("port")
        );
        assert!(
            resolve(&["--broker", "mqtt://h", "--subscribe", "a/#/b"])
                .unwrap_err()
                .contains("#")
        );
        assert!(resolve(&["--no-such-flag"]).is_err());
        assert!(resolve(&["--demo", "--broker", "mqtt://h"]).is_err());
    }

    #[test]
    fn default_is_welcome_and_demo_is_demo() {
        assert!(matches!(
            resolve(&[]),
            Ok(Run::Gui(AppOptions {
                startup: Startup::Welcome,
                ..
            }))
        ));
        assert!(matches!(
            resolve(&["--demo"]),
            Ok(Run::Gui(AppOptions {
                startup: Startup::Demo,
                ..
            }))
        ));
    }
}
