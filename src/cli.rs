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

    /// Renderer: glow (default) or wgpu (in builds with the `wgpu` feature)
    #[arg(long, value_name = "NAME", default_value = "glow", value_parser = ["glow", "wgpu"])]
    pub renderer: String,

    /// Chart this value once connected: TOPIC or TOPIC:PATH, e.g. iot/s1/temperature:temperature (repeatable)
    #[arg(long = "chart", value_name = "TOPIC[:PATH]")]
    pub charts: Vec<String>,

    #[command(subcommand)]
    pub command: Option<Subcommands>,
}

#[derive(Debug, Subcommand)]
pub enum Subcommands {
    /// Load a broker (no window): with --count or --rate, publish generated
    /// messages and print the achieved rate; without, run the demo's devices until Ctrl+C
    Simulate {
        /// The broker to publish to: mqtt://[user[:pass]@]host[:port]
        #[arg(long, value_name = "URL")]
        broker: String,
        /// Number of distinct topics to spread the load over
        #[arg(long, default_value_t = 1_000)]
        topics: usize,
        /// Messages per second over all connections (0 = as fast as the broker takes them)
        #[arg(long)]
        rate: Option<u64>,
        /// Total messages to publish
        #[arg(long)]
        count: Option<u64>,
        /// Payload: json (64 bytes with a number field), number, or bytes:SIZE
        #[arg(long, default_value = "json")]
        payload: crate::simulate::PayloadShape,
        /// QoS of the published messages
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
        qos: u8,
        /// Publish retained messages
        #[arg(long)]
        retain: bool,
        /// Parallel connections
        #[arg(long, default_value_t = 1)]
        connections: usize,
        /// Seed of the demo devices' values
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// What `main` should run.
#[derive(Debug)]
pub enum Run {
    Gui(AppOptions),
    Simulate { host: String, port: u16, seed: u64 },
    Load(crate::simulate::LoadPlan),
}

impl Cli {
    /// Check every argument and decide what to run; the error is for the user.
    pub fn resolve(self) -> Result<Run, String> {
        if let Some(Subcommands::Simulate {
            broker,
            topics,
            rate,
            count,
            payload,
            qos,
            retain,
            connections,
            seed,
        }) = self.command
        {
            let spec = parse_broker_url(&broker)?;
            if rate.is_none() && count.is_none() {
                return Ok(Run::Simulate {
                    host: spec.host,
                    port: spec.port,
                    seed,
                });
            }
            if topics == 0 || connections == 0 {
                return Err("--topics and --connections must be at least 1".into());
            }
            // A rate without a count runs for a minute.
            let count = count.unwrap_or_else(|| rate.unwrap_or(0).saturating_mul(60).max(1));
            return Ok(Run::Load(crate::simulate::LoadPlan {
                host: spec.host,
                port: spec.port,
                topics,
                rate: rate.unwrap_or(0),
                count,
                payload,
                qos,
                retain,
                connections,
            }));
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
        if self.renderer == "wgpu" && !cfg!(feature = "wgpu") {
            return Err("this build has no wgpu renderer: build with `cargo build --release --features wgpu`".into());
        }
        let charts = self
            .charts
            .iter()
            .map(|c| {
                let (topic, path) = c.rsplit_once(':').unwrap_or((c, ""));
                crate::mqtt::validate_topic(topic).map_err(|e| format!("--chart {c}: {e}"))?;
                Ok((topic.to_owned(), path.to_owned()))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Run::Gui(AppOptions {
            startup,
            config_dir,
            stats_json: self.stats_json,
            record: self.record,
            charts,
            process_start: std::time::Instant::now(),
            wgpu: self.renderer == "wgpu",
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
