//! The query engine a replay runs on: one DataFusion context in this process,
//! or Apache Ballista's scheduler and executor (feature `ballista`).
//!
//! With Ballista the plan is sent to a scheduler as protocol buffers and cut into
//! stages that executors run; tenet's functions travel by name, so every one the
//! plan calls is registered with the session both sides are built from. Here the
//! scheduler and one executor run in this process (Ballista's standalone mode)
//! and talk over gRPC on loopback, exactly as they would across machines.

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::{SessionConfig, SessionContext};

use tenet::diag::Diagnostic;

/// A context that knows `functions`: Ballista's standalone cluster with `ballista`.
pub async fn context(
    config: SessionConfig,
    functions: Vec<Arc<ScalarUDF>>,
    ballista: bool,
) -> Result<SessionContext, Diagnostic> {
    if ballista {
        return standalone(config, functions).await;
    }
    let context = SessionContext::new_with_config(config);
    for function in functions {
        context.register_udf(function.as_ref().clone());
    }
    Ok(context)
}

#[cfg(feature = "ballista")]
async fn standalone(config: SessionConfig, functions: Vec<Arc<ScalarUDF>>) -> Result<SessionContext, Diagnostic> {
    use ballista::prelude::SessionContextExt as _;
    use datafusion::execution::{FunctionRegistry as _, SessionStateBuilder};

    let failed = |error: datafusion::error::DataFusionError| {
        Diagnostic::error("tenet::replay::ballista", format!("cannot start Ballista's scheduler and executor: {error}"))
    };
    // DataFusion's own functions (the plan's `get_field`, `count`, ...) and tenet's, side by side.
    let mut state = SessionStateBuilder::new().with_config(config).with_default_features().build();
    for function in functions {
        state.register_udf(function).map_err(failed)?;
    }
    SessionContext::standalone_with_state(state).await.map_err(failed)
}

#[cfg(not(feature = "ballista"))]
async fn standalone(_: SessionConfig, _: Vec<Arc<ScalarUDF>>) -> Result<SessionContext, Diagnostic> {
    Err(Diagnostic::error("tenet::replay::ballista_not_built", "this tenet was built without Ballista")
        .help("install it with the feature: `cargo install --path . --features ballista`"))
}
