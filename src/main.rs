//! mqscope's entry point: parse the command line (bad arguments exit before
//! any window opens), start logging and the tokio runtime, then run the window.

use std::process::ExitCode;

use clap::Parser as _;
use mqscope::app::MqscopeApp;
use mqscope::cli::{Cli, Run};

/// mimalloc: every message is an allocation that the history later frees;
/// with the system allocator, evicting at the memory budget ran at 66% of the
/// plain ingest rate, with mimalloc it keeps pace (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let process_start = std::time::Instant::now();
    let cli = Cli::parse();
    let run = match cli.resolve() {
        Ok(Run::Gui(mut options)) => {
            options.process_start = process_start;
            Run::Gui(options)
        }
        Ok(run) => run,
        Err(message) => {
            eprintln!("mqscope: {message}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("mqscope=info,warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("mqscope-net")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mqscope: could not start the network runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run {
        Run::Simulate {
            host,
            port,
            seed,
            credentials,
        } => {
            eprintln!("mqscope: publishing simulated sensors to {host}:{port}; Ctrl+C stops");
            let stopped = runtime.block_on(async move {
                tokio::select! {
                    stopped = mqscope::demo::run_sensors(host, port, seed, None, credentials) => stopped,
                    _ = tokio::signal::ctrl_c() => None,
                }
            });
            match stopped {
                Some(why) => {
                    eprintln!("mqscope: stopped: {why}");
                    ExitCode::FAILURE
                }
                None => ExitCode::SUCCESS,
            }
        }
        Run::Load(plan) => {
            eprintln!(
                "mqscope: publishing {} messages over {} topics to {}:{} ({} connection(s), QoS {}, rate {})",
                plan.count,
                plan.topics,
                plan.host,
                plan.port,
                plan.connections,
                plan.qos,
                if plan.rate == 0 {
                    "as fast as possible".to_owned()
                } else {
                    format!("{}/s", plan.rate)
                }
            );
            let report = runtime.block_on(mqscope::simulate::run_load(plan));
            println!(
                "sent {} messages in {:.2} s: {:.0} messages/s",
                report.sent,
                report.seconds,
                report.rate()
            );
            match report.stopped {
                Some(why) => {
                    eprintln!("mqscope: stopped: {why}");
                    ExitCode::FAILURE
                }
                None => ExitCode::SUCCESS,
            }
        }
        Run::Gui(options) => {
            // Entered, never blocked on: the UI thread only spawns onto it.
            let _guard = runtime.enter();
            let handle = runtime.handle().clone();
            #[cfg(feature = "wgpu")]
            let renderer = if options.wgpu {
                eframe::Renderer::Wgpu
            } else {
                eframe::Renderer::Glow
            };
            #[cfg(not(feature = "wgpu"))]
            let renderer = eframe::Renderer::Glow;
            let native = eframe::NativeOptions {
                renderer,
                viewport: egui::ViewportBuilder::default()
                    .with_title("mqscope")
                    .with_icon(std::sync::Arc::new(mqscope::icon::icon(128)))
                    .with_app_id("mqscope")
                    .with_inner_size([1360.0, 840.0])
                    .with_min_inner_size([720.0, 480.0]),
                // The app installs the system font provider itself (ui::style), tests included.
                system_font_fallback: false,
                ..Default::default()
            };
            // eframe keeps the window state (app.ron: the last profile, the expanded
            // topics) in its storage folder with the default file mode: the folder
            // is made private so others cannot read what the user looked at.
            private_storage_dir(eframe::storage_dir("mqscope"));
            let result = eframe::run_native(
                "mqscope",
                native,
                Box::new(move |cc| {
                    // SIGTERM (a logout, `kill`, a service manager) and SIGINT close the
                    // window as its close button does: eframe saves the window state,
                    // the writer finishes the files, the connections say goodbye.
                    let ctx = cc.egui_ctx.clone();
                    handle.spawn(async move {
                        close_on_signal().await;
                        tracing::info!("closing on a signal");
                        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                        ctx.request_repaint();
                        // A second signal while closing: the user means it, now.
                        close_on_signal().await;
                        std::process::exit(130);
                    });
                    let mut app = MqscopeApp::new(options, handle);
                    if let Some(storage) = cc.storage {
                        app.restore(storage);
                    }
                    Ok(Box::new(app))
                }),
            );
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("mqscope: could not open the window: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// Wait for SIGTERM or SIGINT (Ctrl+C where only Ctrl+C exists).
async fn close_on_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Create eframe's storage folder readable by its owner only (0700), or make
/// it so.
fn private_storage_dir(dir: Option<std::path::PathBuf>) {
    let Some(dir) = dir else { return };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        tracing::warn!(%e, dir = %dir.display(), "cannot create the window-state folder");
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Err(e) = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)) {
            tracing::warn!(%e, dir = %dir.display(), "cannot make the window-state folder private");
        }
    }
}
