//! The reconciler on its schedule, as EventBridge runs the `reconcile`
//! function in AWS (`ReconcileSchedule` in `template.yaml`).

use std::time::Duration;

use intake_domain::Intake;
use tokio::sync::watch;
use tracing::warn;

/// Runs a reconciliation every `interval` until `stopped`.
pub(crate) async fn run(intake: Intake, interval: Duration, mut stopped: watch::Receiver<bool>) {
    while !*stopped.borrow() {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stopped.changed() => return,
        }
        // The report is logged by the use case; a failed run is retried by
        // the next one, as EventBridge's next invocation would.
        if let Err(error) = intake.reconcile(chrono::Utc::now()).await {
            warn!(%error, "reconciliation failed");
        }
    }
}
