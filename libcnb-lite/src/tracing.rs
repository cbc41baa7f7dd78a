//! The `trace` feature: an OpenTelemetry file export of the detect and build phases.
//!
//! The files, their OTLP JSON and the spans in them are upstream libcnb's (which sends
//! `tracing` through `tracing-opentelemetry` and the opentelemetry SDK to a file exporter).
//! Here one `tracing-subscriber` layer does the same job: it keeps each span's data in the
//! registry, turns it into an OTLP span when the span closes, and appends batches of closed
//! spans to the phase's file as `TracesData` JSON lines. What it records follows
//! `tracing-opentelemetry` 0.32's defaults (source location, thread, target, busy/idle time,
//! error fields as exceptions, ERROR events as error status, `log` records through
//! `tracing-log`); what it writes follows
//! `opentelemetry-proto` 0.31's serde encoding (hex ids, 64-bit integers as strings).

use crate::runtime::ExecutionPhase;
use libcnb_lite_data::buildpack::Buildpack;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::fs::File;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::io::{LineWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Where the exports go, as upstream: collectors (such as heroku/cnb-otel-collector) read the
/// `.jsonl` files in this directory. `/tmp` is writable on common base images and outside the
/// directories the CNB spec defines.
const TELEMETRY_EXPORT_ROOT: &str = "/tmp/libcnb-telemetry";

/// The instrumentation scope's name: upstream's crate name, which collectors may key on.
const SCOPE_NAME: &str = "libcnb";

/// The opentelemetry SDK's defaults: a batch is exported when it holds this many spans or
/// when this much time has passed since the last export (checked as spans close).
const MAX_EXPORT_BATCH_SIZE: usize = 512;
const SCHEDULED_DELAY: Duration = Duration::from_secs(5);

/// The SDK's default span limits; what goes beyond them is counted as dropped.
const MAX_ATTRIBUTES_PER_SPAN: usize = 128;
const MAX_EVENTS_PER_SPAN: usize = 128;
const MAX_ATTRIBUTES_PER_EVENT: usize = 128;

/// `SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK` (0x100) with the sampled trace flag (0x01): what
/// the SDK writes for a sampled span whose parent is local.
const SPAN_FLAGS: u32 = 0x101;

/// `SPAN_KIND_INTERNAL` and the `otel.kind` values, as OTLP numbers them.
const SPAN_KIND_INTERNAL: i32 = 1;

/// The export of one phase; dropping it writes the spans not yet written and flushes the
/// file.
pub(crate) struct BuildpackTrace {
    exporter: Option<Arc<Exporter<File>>>,
}

impl Drop for BuildpackTrace {
    fn drop(&mut self) {
        if let Some(exporter) = &self.exporter {
            exporter.flush();
        }
    }
}

/// Installs the global `tracing` subscriber that exports this phase's spans (libcnb's own
/// and the buildpack's, at INFO and above) to
/// `/tmp/libcnb-telemetry/<buildpack id with / . - as _>-<detect|build>.jsonl`.
///
/// Tracing never fails a build: if the file can't be opened, or a subscriber is already set,
/// nothing is exported and nothing is printed (the buildpack's output is the user's).
pub(crate) fn init_tracing(buildpack: &Buildpack, phase: &ExecutionPhase) -> BuildpackTrace {
    let path = telemetry_file_path(buildpack, phase);
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let Ok(file) = File::options().create(true).append(true).open(&path) else {
        return BuildpackTrace { exporter: None };
    };

    let exporter = Arc::new(Exporter::new(file, buildpack));
    if tracing::subscriber::set_global_default(subscriber(Arc::clone(&exporter))).is_err() {
        return BuildpackTrace { exporter: None };
    }
    // `log` records become events too, as with upstream's subscriber; a logger the buildpack
    // set already stays.
    let _ = tracing_log::LogTracer::builder()
        .with_max_level(tracing_log::log::LevelFilter::Info)
        .init();
    BuildpackTrace {
        exporter: Some(exporter),
    }
}

/// The subscriber: the registry, the exporting layer and upstream's INFO level filter (which
/// keeps out the TRACE and DEBUG spans of libraries, such as HTTP clients).
fn subscriber<W: Write + Send + 'static>(exporter: Arc<Exporter<W>>) -> impl Subscriber {
    tracing_subscriber::registry()
        .with(OtlpLayer { exporter })
        .with(LevelFilter::INFO)
}

fn telemetry_file_path(buildpack: &Buildpack, phase: &ExecutionPhase) -> PathBuf {
    let phase_name = match phase {
        ExecutionPhase::Detect(_) => "detect",
        ExecutionPhase::Build(_) => "build",
    };
    let id = buildpack.id.replace(['/', '.', '-'], "_");
    Path::new(TELEMETRY_EXPORT_ROOT).join(format!("{id}-{phase_name}.jsonl"))
}

/// Collects closed spans and appends them to the file in batches, one `TracesData` JSON
/// object and a newline per batch.
struct Exporter<W: Write> {
    resource: Resource,
    scope: Scope,
    state: Mutex<ExportState<W>>,
}

struct ExportState<W: Write> {
    writer: LineWriter<W>,
    pending: Vec<OtlpSpan>,
    last_export: Instant,
}

impl<W: Write> Exporter<W> {
    fn new(writer: W, buildpack: &Buildpack) -> Self {
        let buildpack_attributes = vec![
            KeyValue::string("buildpack_id", buildpack.id.to_string()),
            KeyValue::string("buildpack_name", buildpack.name.clone().unwrap_or_default()),
            KeyValue::string("buildpack_version", buildpack.version.to_string()),
            KeyValue::string(
                "buildpack_homepage",
                buildpack.homepage.clone().unwrap_or_default(),
            ),
        ];
        Self {
            resource: Resource::new(buildpack, &buildpack_attributes),
            scope: Scope {
                name: SCOPE_NAME,
                version: env!("CARGO_PKG_VERSION"),
                attributes: buildpack_attributes,
                dropped_attributes_count: 0,
            },
            state: Mutex::new(ExportState {
                writer: LineWriter::new(writer),
                pending: Vec::new(),
                last_export: Instant::now(),
            }),
        }
    }

    fn push(&self, span: OtlpSpan) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.pending.push(span);
        if state.pending.len() >= MAX_EXPORT_BATCH_SIZE
            || state.last_export.elapsed() >= SCHEDULED_DELAY
        {
            self.export(&mut state);
        }
    }

    fn flush(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.export(&mut state);
        let _ = state.writer.flush();
    }

    /// Writes the pending spans as one line. A failed write loses that batch and nothing
    /// else: tracing never fails the build.
    fn export(&self, state: &mut ExportState<W>) {
        state.last_export = Instant::now();
        if state.pending.is_empty() {
            return;
        }
        let spans = std::mem::take(&mut state.pending);
        let data = TracesData {
            resource_spans: [ResourceSpans {
                resource: &self.resource,
                scope_spans: [ScopeSpans {
                    scope: &self.scope,
                    spans: &spans,
                    schema_url: "",
                }],
                schema_url: "",
            }],
        };
        let _ = serde_json::to_writer(&mut state.writer, &data)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(state.writer));
    }
}

/// The `tracing` layer that records spans and events in OTLP terms.
struct OtlpLayer<W: Write> {
    exporter: Arc<Exporter<W>>,
}

/// What the layer keeps in the registry for an open span.
struct SpanData {
    span: OtlpSpan,
    status: Status,
    /// The last exit, the span's end time if it was ever entered.
    end: Option<SystemTime>,
    busy: Duration,
    idle: Duration,
    last_transition: Instant,
    entered: u64,
}

impl<S, W> Layer<S> for OtlpLayer<W>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    W: Write + Send + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let parent = if let Some(parent) = attrs.parent() {
            ctx.span(parent)
        } else if attrs.is_contextual() {
            ctx.lookup_current()
        } else {
            None
        };
        let parent_ids = parent.and_then(|parent| {
            let extensions = parent.extensions();
            extensions
                .get::<SpanData>()
                .map(|data| (data.span.trace_id, data.span.span_id))
        });
        let (trace_id, parent_span_id) = match parent_ids {
            Some((trace_id, span_id)) => (trace_id, Some(span_id)),
            None => (new_trace_id(), None),
        };

        let metadata = attrs.metadata();
        let mut span_data = SpanData {
            span: OtlpSpan {
                trace_id,
                span_id: new_span_id(),
                trace_state: "",
                parent_span_id,
                flags: SPAN_FLAGS,
                name: Cow::Borrowed(metadata.name()),
                kind: SPAN_KIND_INTERNAL,
                start_time_unix_nano: now_nanos(),
                end_time_unix_nano: 0,
                attributes: Vec::new(),
                dropped_attributes_count: 0,
                events: Vec::new(),
                dropped_events_count: 0,
                links: Vec::new(),
                dropped_links_count: 0,
                status: OtlpStatus::default(),
            },
            status: Status::Unset,
            end: None,
            busy: Duration::ZERO,
            idle: Duration::ZERO,
            last_transition: Instant::now(),
            entered: 0,
        };
        let mut attributes = location_attributes(metadata);
        attributes.extend(thread_attributes());
        attributes.push(KeyValue::string("target", metadata.target()));
        for attribute in attributes {
            span_data.add_attribute(attribute);
        }
        attrs.record(&mut SpanFieldVisitor(&mut span_data));

        span.extensions_mut().insert(span_data);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        if let Some(data) = span.extensions_mut().get_mut::<SpanData>() {
            values.record(&mut SpanFieldVisitor(data));
        }
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, S>) {
        let (Some(span), Some(follows)) = (ctx.span(id), ctx.span(follows)) else {
            return;
        };
        let Some(link) = follows.extensions().get::<SpanData>().map(|data| Link {
            trace_id: data.span.trace_id,
            span_id: data.span.span_id,
            trace_state: "",
            attributes: [],
            dropped_attributes_count: 0,
            flags: SPAN_FLAGS,
        }) else {
            return;
        };
        if let Some(data) = span.extensions_mut().get_mut::<SpanData>() {
            data.span.links.push(link);
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        if let Some(data) = span.extensions_mut().get_mut::<SpanData>() {
            if data.entered == 0 {
                let now = Instant::now();
                data.idle += now - data.last_transition;
                data.last_transition = now;
            }
            data.entered += 1;
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        if let Some(data) = span.extensions_mut().get_mut::<SpanData>() {
            data.end = Some(SystemTime::now());
            data.entered = data.entered.saturating_sub(1);
            if data.entered == 0 {
                let now = Instant::now();
                data.busy += now - data.last_transition;
                data.last_transition = now;
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        // As tracing-opentelemetry: an event outside any span has nowhere to go.
        let span = if let Some(parent) = event.parent() {
            ctx.span(parent)
        } else if event.is_contextual() {
            ctx.lookup_current()
        } else {
            None
        };
        let Some(span) = span else { return };

        // A `log` record's level, target and location are in its `log.*` fields.
        let normalized = event.normalized_metadata();
        let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let mut visitor = EventFieldVisitor {
            name: String::new(),
            attributes: vec![
                KeyValue::string("level", metadata.level().as_str()),
                KeyValue::string("target", metadata.target()),
            ],
            status: None,
            span_attributes: Vec::new(),
        };
        event.record(&mut visitor);
        let EventFieldVisitor {
            name,
            mut attributes,
            status,
            span_attributes,
        } = visitor;
        attributes.extend(location_attributes(metadata));
        let name = if name.is_empty() {
            event.metadata().name().to_string()
        } else {
            name
        };
        let dropped_attributes_count = count_dropped(&mut attributes, MAX_ATTRIBUTES_PER_EVENT);

        let mut extensions = span.extensions_mut();
        let Some(data) = extensions.get_mut::<SpanData>() else {
            return;
        };
        if *metadata.level() == Level::ERROR {
            data.raise_status(Status::Error(String::new()));
        }
        if let Some(status) = status {
            data.raise_status(status);
        }
        for attribute in span_attributes {
            data.add_attribute(attribute);
        }
        if data.span.events.len() < MAX_EVENTS_PER_SPAN {
            data.span.events.push(OtlpEvent {
                time_unix_nano: now_nanos(),
                name,
                attributes,
                dropped_attributes_count,
            });
        } else {
            data.span.dropped_events_count += 1;
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(mut data) = span.extensions_mut().remove::<SpanData>() else {
            return;
        };
        let busy = KeyValue::int("busy_ns", duration_nanos(data.busy));
        let idle = KeyValue::int("idle_ns", duration_nanos(data.idle));
        data.add_attribute(busy);
        data.add_attribute(idle);
        data.span.end_time_unix_nano = data.end.map_or_else(now_nanos, system_time_nanos);
        data.span.status = OtlpStatus::from(data.status);
        self.exporter.push(data.span);
    }
}

impl SpanData {
    fn add_attribute(&mut self, attribute: KeyValue) {
        if self.span.attributes.len() < MAX_ATTRIBUTES_PER_SPAN {
            self.span.attributes.push(attribute);
        } else {
            self.span.dropped_attributes_count += 1;
        }
    }

    /// OpenTelemetry's rule: a status only moves up, Unset < Error < Ok.
    fn raise_status(&mut self, status: Status) {
        if status > self.status {
            self.status = status;
        }
    }
}

/// The `code.*` attributes of a span or event (tracing-opentelemetry's `with_location`).
fn location_attributes(metadata: &tracing::Metadata<'_>) -> Vec<KeyValue> {
    let mut attributes = Vec::with_capacity(3);
    if let Some(file) = metadata.file() {
        attributes.push(KeyValue::string("code.file.path", file));
    }
    if let Some(module) = metadata.module_path() {
        attributes.push(KeyValue::string("code.module.name", module));
    }
    if let Some(line) = metadata.line() {
        attributes.push(KeyValue::int("code.line.number", i64::from(line)));
    }
    attributes
}

/// The `thread.*` attributes of a span (tracing-opentelemetry's `with_threads`).
fn thread_attributes() -> Vec<KeyValue> {
    thread_local! {
        // `ThreadId` has no stable integer accessor; its `Debug` form is `ThreadId(N)`.
        static THREAD_ID: Option<i64> = format!("{:?}", std::thread::current().id())
            .trim_start_matches("ThreadId(")
            .trim_end_matches(')')
            .parse()
            .ok();
    }
    let mut attributes = Vec::with_capacity(2);
    if let Some(id) = THREAD_ID.with(|id| *id) {
        attributes.push(KeyValue::int("thread.id", id));
    }
    if let Some(name) = std::thread::current().name() {
        attributes.push(KeyValue::string("thread.name", name));
    }
    attributes
}

fn count_dropped(attributes: &mut Vec<KeyValue>, limit: usize) -> u32 {
    let dropped = attributes.len().saturating_sub(limit);
    attributes.truncate(limit);
    u32::try_from(dropped).unwrap_or(u32::MAX)
}

/// Records a span's fields as attributes; the `otel.*` fields set its name, kind and status
/// instead, as in tracing-opentelemetry.
struct SpanFieldVisitor<'a>(&'a mut SpanData);

impl SpanFieldVisitor<'_> {
    fn record_text(&mut self, field: &Field, value: String) {
        match field.name() {
            "otel.name" => self.0.span.name = Cow::Owned(value),
            "otel.kind" => {
                if let Some(kind) = span_kind(&value) {
                    self.0.span.kind = kind;
                }
            }
            "otel.status_code" => {
                if value.eq_ignore_ascii_case("ok") {
                    self.0.raise_status(Status::Ok);
                } else if value.eq_ignore_ascii_case("error") {
                    self.0.raise_status(Status::Error(String::new()));
                }
            }
            "otel.status_description" => self.0.raise_status(Status::Error(value)),
            name => self.0.add_attribute(KeyValue::string(name, value)),
        }
    }
}

impl Visit for SpanFieldVisitor<'_> {
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0
            .add_attribute(KeyValue::new(field.name(), AnyValue::Bool(value)));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0
            .add_attribute(KeyValue::new(field.name(), AnyValue::Double(value)));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.add_attribute(KeyValue::int(field.name(), value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_text(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_text(field, format!("{value:?}"));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let (message, chain) = error_message_and_chain(value);
        for attribute in error_attributes(field.name(), message, &chain) {
            self.0.add_attribute(attribute);
        }
    }
}

/// Records an event's fields: `message` becomes its name, the rest attributes; an `error`
/// field makes it an `exception` event and marks its span as failed.
struct EventFieldVisitor {
    name: String,
    attributes: Vec<KeyValue>,
    status: Option<Status>,
    span_attributes: Vec<KeyValue>,
}

impl EventFieldVisitor {
    /// `value` is the field's text; `debug` its `Debug` form, which an `error` field's
    /// exception message uses (quoted for a `&str`, as tracing-opentelemetry does).
    fn record_text(&mut self, field: &Field, value: String, debug: String) {
        match field.name() {
            "message" => self.name = value,
            // A `log` record's metadata, already in the event's level, target and `code.*`.
            name if name.starts_with("log.") => {}
            // Only while the event has no name yet: the fields are visited in the order the
            // macro got them, and tracing-opentelemetry checks the same way.
            "error" if self.name.is_empty() => {
                self.status = Some(Status::Error(debug.clone()));
                "exception".clone_into(&mut self.name);
                self.attributes
                    .push(KeyValue::string("exception.message", debug));
            }
            name => self.attributes.push(KeyValue::string(name, value)),
        }
    }
}

impl Visit for EventFieldVisitor {
    fn record_bool(&mut self, field: &Field, value: bool) {
        match field.name() {
            "message" => self.name = value.to_string(),
            name if name.starts_with("log.") => {}
            name => self
                .attributes
                .push(KeyValue::new(name, AnyValue::Bool(value))),
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        match field.name() {
            "message" => self.name = value.to_string(),
            name if name.starts_with("log.") => {}
            name => self
                .attributes
                .push(KeyValue::new(name, AnyValue::Double(value))),
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        match field.name() {
            "message" => self.name = value.to_string(),
            name if name.starts_with("log.") => {}
            name => self.attributes.push(KeyValue::int(name, value)),
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_text(field, value.to_string(), format!("{value:?}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        self.record_text(field, text.clone(), text);
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let (message, chain) = error_message_and_chain(value);
        self.span_attributes.extend([
            KeyValue::string("exception.message", message.clone()),
            KeyValue::new("exception.stacktrace", AnyValue::strings(&chain)),
        ]);
        self.attributes
            .extend(error_attributes(field.name(), message, &chain));
    }
}

fn error_message_and_chain(error: &(dyn std::error::Error + 'static)) -> (String, Vec<String>) {
    let chain = std::iter::successors(error.source(), |source| source.source())
        .map(ToString::to_string)
        .collect();
    (error.to_string(), chain)
}

/// An error field as tracing-opentelemetry records it: the exception attributes (the
/// "stacktrace" is the `source()` chain) and the field itself with its chain.
fn error_attributes(field: &'static str, message: String, chain: &[String]) -> [KeyValue; 4] {
    let chain = AnyValue::strings(chain);
    [
        KeyValue::string("exception.message", message.clone()),
        KeyValue::new("exception.stacktrace", chain.clone()),
        KeyValue::string(field, message),
        KeyValue::new(format!("{field}.chain"), chain),
    ]
}

fn span_kind(name: &str) -> Option<i32> {
    // SPAN_KIND_INTERNAL = 1, SERVER = 2, CLIENT = 3, PRODUCER = 4, CONSUMER = 5.
    ["internal", "server", "client", "producer", "consumer"]
        .iter()
        .position(|kind| name.eq_ignore_ascii_case(kind))
        .and_then(|index| i32::try_from(index + 1).ok())
}

/// A span's status while it is open; the derived order is OpenTelemetry's.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Status {
    Unset,
    Error(String),
    Ok,
}

/// Random, non-zero ids. `RandomState` is seeded from the OS once per thread and differs for
/// every instance; hashing a counter and the time into it is random enough for trace ids,
/// which only need to be unique, without a crate for it.
fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    loop {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_u64(now_nanos());
        let value = hasher.finish();
        if value != 0 {
            return value;
        }
    }
}

fn new_trace_id() -> [u8; 16] {
    let mut id = [0; 16];
    id[..8].copy_from_slice(&random_u64().to_be_bytes());
    id[8..].copy_from_slice(&random_u64().to_be_bytes());
    id
}

fn new_span_id() -> [u8; 8] {
    random_u64().to_be_bytes()
}

fn now_nanos() -> u64 {
    system_time_nanos(SystemTime::now())
}

fn system_time_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    })
}

fn duration_nanos(duration: Duration) -> i64 {
    i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
}

// The OTLP JSON encoding, as `opentelemetry-proto` 0.31's serde derives write it: the
// messages' fields in proto order and camelCase, ids as lowercase hex, 64-bit integers as
// decimal strings, and every field present even when empty.

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TracesData<'a> {
    resource_spans: [ResourceSpans<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans<'a> {
    resource: &'a Resource,
    scope_spans: [ScopeSpans<'a>; 1],
    schema_url: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Resource {
    attributes: Vec<KeyValue>,
    dropped_attributes_count: u32,
    entity_refs: [(); 0],
}

impl Resource {
    /// Upstream's resource: the opentelemetry SDK's default attributes (`service.name`,
    /// `telemetry.sdk.*`, and `OTEL_RESOURCE_ATTRIBUTES`), then the buildpack's, the later
    /// replacing the earlier on the same key.
    fn new(buildpack: &Buildpack, buildpack_attributes: &[KeyValue]) -> Self {
        let mut attributes = vec![
            KeyValue::string("service.name", buildpack.id.to_string()),
            KeyValue::string("service.version", buildpack.version.to_string()),
        ];
        attributes.extend_from_slice(buildpack_attributes);
        let defaults = [
            KeyValue::string("telemetry.sdk.language", "rust"),
            KeyValue::string("telemetry.sdk.name", "libcnb-lite"),
            KeyValue::string("telemetry.sdk.version", env!("CARGO_PKG_VERSION")),
        ];
        let from_env = std::env::var("OTEL_RESOURCE_ATTRIBUTES")
            .map(|value| parse_resource_attributes(&value))
            .unwrap_or_default();
        for attribute in defaults.into_iter().chain(from_env) {
            if !attributes.iter().any(|known| known.key == attribute.key) {
                attributes.push(attribute);
            }
        }
        Self {
            attributes,
            dropped_attributes_count: 0,
            entity_refs: [],
        }
    }
}

/// `key1=value1,key2=value2`, trimmed, as the SDK's `EnvResourceDetector` reads it (the last
/// of a repeated key wins, entries without `=` are skipped).
fn parse_resource_attributes(value: &str) -> Vec<KeyValue> {
    let mut attributes: Vec<KeyValue> = Vec::new();
    for (key, value) in value
        .split_terminator(',')
        .filter_map(|entry| entry.split_once('='))
    {
        let attribute = KeyValue::string(key.trim().to_string(), value.trim().to_string());
        attributes.retain(|known| known.key != attribute.key);
        attributes.push(attribute);
    }
    attributes
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Scope {
    name: &'static str,
    version: &'static str,
    attributes: Vec<KeyValue>,
    dropped_attributes_count: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScopeSpans<'a> {
    scope: &'a Scope,
    spans: &'a [OtlpSpan],
    schema_url: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OtlpSpan {
    #[serde(serialize_with = "hex")]
    trace_id: [u8; 16],
    #[serde(serialize_with = "hex")]
    span_id: [u8; 8],
    trace_state: &'static str,
    #[serde(serialize_with = "optional_hex")]
    parent_span_id: Option<[u8; 8]>,
    flags: u32,
    name: Cow<'static, str>,
    kind: i32,
    #[serde(serialize_with = "decimal_string")]
    start_time_unix_nano: u64,
    #[serde(serialize_with = "decimal_string")]
    end_time_unix_nano: u64,
    attributes: Vec<KeyValue>,
    dropped_attributes_count: u32,
    events: Vec<OtlpEvent>,
    dropped_events_count: u32,
    links: Vec<Link>,
    dropped_links_count: u32,
    status: OtlpStatus,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OtlpEvent {
    #[serde(serialize_with = "decimal_string")]
    time_unix_nano: u64,
    name: String,
    attributes: Vec<KeyValue>,
    dropped_attributes_count: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Link {
    #[serde(serialize_with = "hex")]
    trace_id: [u8; 16],
    #[serde(serialize_with = "hex")]
    span_id: [u8; 8],
    trace_state: &'static str,
    attributes: [(); 0],
    dropped_attributes_count: u32,
    flags: u32,
}

#[derive(Serialize, Default)]
struct OtlpStatus {
    message: String,
    /// `STATUS_CODE_UNSET` 0, `OK` 1, `ERROR` 2.
    code: i32,
}

impl From<Status> for OtlpStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Unset => Self::default(),
            Status::Ok => Self {
                message: String::new(),
                code: 1,
            },
            Status::Error(message) => Self { message, code: 2 },
        }
    }
}

#[derive(Serialize, Clone)]
struct KeyValue {
    key: Cow<'static, str>,
    value: AnyValue,
}

impl KeyValue {
    fn new(key: impl Into<Cow<'static, str>>, value: AnyValue) -> Self {
        Self {
            key: key.into(),
            value,
        }
    }

    fn string(key: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        Self::new(key, AnyValue::String(value.into()))
    }

    fn int(key: impl Into<Cow<'static, str>>, value: i64) -> Self {
        Self::new(key, AnyValue::Int(value))
    }
}

#[derive(Clone)]
enum AnyValue {
    String(String),
    Bool(bool),
    Int(i64),
    Double(f64),
    Array(Vec<AnyValue>),
}

impl AnyValue {
    fn strings(values: &[String]) -> Self {
        Self::Array(values.iter().cloned().map(Self::String).collect())
    }
}

impl Serialize for AnyValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct ArrayValue<'a> {
            values: &'a [AnyValue],
        }

        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            Self::String(value) => map.serialize_entry("stringValue", value)?,
            Self::Bool(value) => map.serialize_entry("boolValue", value)?,
            Self::Int(value) => map.serialize_entry("intValue", &value.to_string())?,
            Self::Double(value) => map.serialize_entry("doubleValue", value)?,
            Self::Array(values) => map.serialize_entry("arrayValue", &ArrayValue { values })?,
        }
        map.end()
    }
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's serialize_with")]
fn decimal_string<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    value.to_string().serialize(serializer)
}

fn hex<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    serializer.serialize_str(&text)
}

#[expect(clippy::ref_option, reason = "serde's serialize_with")]
fn optional_hex<S: Serializer>(bytes: &Option<[u8; 8]>, serializer: S) -> Result<S::Ok, S::Error> {
    hex(bytes.as_ref().map_or(&[], |bytes| bytes), serializer)
}

#[cfg(test)]
mod tests {
    use super::{Exporter, init_tracing, subscriber};
    use crate::runtime::{BuildArgs, ExecutionPhase};
    use libcnb_lite_data::buildpack::{Buildpack, BuildpackVersion};
    use libcnb_lite_data::buildpack_id;
    use serde_json::Value;
    use std::collections::HashSet;
    use std::io::{ErrorKind, Write};
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex, PoisonError};
    use std::{fs, io};
    use tracing::Level;

    fn buildpack() -> Buildpack {
        Buildpack {
            id: buildpack_id!("company.com/foo"),
            version: BuildpackVersion::new(0, 0, 99),
            name: Some("Foo buildpack for company.com".to_string()),
            homepage: None,
            clear_env: false,
            description: None,
            keywords: Vec::new(),
            licenses: Vec::new(),
            sbom_formats: HashSet::new(),
        }
    }

    /// Upstream libcnb 0.30.4's `test_tracing`, unchanged but for the imports: the same
    /// phase, the same spans and events and the same string assertions on the file.
    #[test]
    fn test_tracing() {
        let buildpack = buildpack();
        let telemetry_path = "/tmp/libcnb-telemetry/company_com_foo-build.jsonl";
        _ = fs::remove_file(telemetry_path);

        {
            let _trace_guard = init_tracing(
                &buildpack,
                &ExecutionPhase::Build(BuildArgs {
                    layers_dir_path: PathBuf::from("./layers/dir"),
                    platform_dir_path: PathBuf::from("./platform/dir"),
                    buildpack_plan_path: PathBuf::from("./buildpack_plan"),
                }),
            );
            let _span_guard = tracing::span!(Level::INFO, "span-name").entered();
            tracing::event!(Level::INFO, "baz-event");
            let err = std::io::Error::new(ErrorKind::Unsupported, "oh no!");
            tracing::error!(
                error = &err as &(dyn std::error::Error + 'static),
                "it's broken"
            );
        }
        let tracing_contents = fs::read_to_string(telemetry_path)
            .expect("Expected telemetry file to exist, but couldn't read it");

        println!("tracing_contents: {tracing_contents}");
        let _tracing_data: Value = serde_json::from_str(&tracing_contents)
            .expect("Expected tracing export file contents to be valid json");

        // Check top level structure
        assert!(tracing_contents.contains("{\"resourceSpans\":[{\"resource\":"));

        // Check resource attributes
        assert!(tracing_contents.contains(
            "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"company.com/foo\"}}"
        ));
        assert!(
            tracing_contents
                .contains("{\"key\":\"service.version\",\"value\":{\"stringValue\":\"0.0.99\"}}")
        );

        // Check span name
        assert!(tracing_contents.contains("\"name\":\"span-name\""));

        // Check span attributes
        assert!(tracing_contents.contains(
            "{\"key\":\"buildpack_id\",\"value\":{\"stringValue\":\"company.com/foo\"}}"
        ));
        assert!(
            tracing_contents
                .contains("{\"key\":\"buildpack_version\",\"value\":{\"stringValue\":\"0.0.99\"}}")
        );
        assert!(tracing_contents.contains(
                "{\"key\":\"buildpack_name\",\"value\":{\"stringValue\":\"Foo buildpack for company.com\"}}"
        ));

        // Check event name
        assert!(tracing_contents.contains("\"name\":\"baz-event\""));

        // Check exception event
        assert!(tracing_contents.contains("\"name\":\"it's broken\""));
        assert!(
            tracing_contents
                .contains("{\"key\":\"exception.message\",\"value\":{\"stringValue\":\"oh no!\"}}")
        );

        // Check error status
        assert!(tracing_contents.contains("\"code\":2"));

        // Ensure tracing ends with a newline
        assert!(tracing_contents.ends_with('\n'));
    }

    /// A writer the tests can read back.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Runs `body` under the exporting subscriber (for this thread only) and returns the
    /// exported lines, parsed.
    fn export(body: impl FnOnce()) -> Vec<Value> {
        let buffer = Buffer::default();
        let exporter = Arc::new(Exporter::new(buffer.clone(), &buildpack()));
        tracing::subscriber::with_default(subscriber(Arc::clone(&exporter)), body);
        exporter.flush();
        let bytes = buffer.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    fn spans(line: &Value) -> &Vec<Value> {
        line["resourceSpans"][0]["scopeSpans"][0]["spans"]
            .as_array()
            .unwrap()
    }

    fn span<'a>(line: &'a Value, name: &str) -> &'a Value {
        spans(line)
            .iter()
            .find(|span| span["name"] == name)
            .unwrap_or_else(|| panic!("no span {name} in {line}"))
    }

    fn attribute<'a>(attributes: &'a Value, key: &str) -> &'a Value {
        &attributes
            .as_array()
            .unwrap()
            .iter()
            .find(|attribute| attribute["key"] == key)
            .unwrap_or_else(|| panic!("no attribute {key} in {attributes}"))["value"]
    }

    #[test]
    fn children_share_the_trace_and_name_their_parent() {
        let lines = export(|| {
            let _outer = tracing::info_span!("outer").entered();
            let _inner = tracing::info_span!("inner").entered();
        });
        assert_eq!(lines.len(), 1);
        let (outer, inner) = (span(&lines[0], "outer"), span(&lines[0], "inner"));
        assert_eq!(inner["traceId"], outer["traceId"]);
        assert_eq!(inner["parentSpanId"], outer["spanId"]);
        assert_eq!(outer["parentSpanId"], "");
        assert_eq!(outer["traceId"].as_str().unwrap().len(), 32);
        assert_eq!(outer["spanId"].as_str().unwrap().len(), 16);
        assert_ne!(inner["spanId"], outer["spanId"]);
        assert_eq!(outer["flags"], 257);
        assert_eq!(outer["kind"], 1);
        let start: u64 = outer["startTimeUnixNano"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let end: u64 = outer["endTimeUnixNano"].as_str().unwrap().parse().unwrap();
        assert!(start > 0 && end >= start);
    }

    #[test]
    fn fields_are_typed_attributes_and_recorded_values_are_appended() {
        let lines = export(|| {
            let span = tracing::info_span!(
                "typed",
                int = 42_i64,
                float = 0.5_f64,
                flag = true,
                text = "hi",
                unsigned = 7_u64,
                failed = true
            );
            span.record("failed", false);
        });
        let attributes = &span(&lines[0], "typed")["attributes"];
        assert_eq!(
            attribute(attributes, "int"),
            &serde_json::json!({"intValue": "42"})
        );
        assert_eq!(
            attribute(attributes, "float"),
            &serde_json::json!({"doubleValue": 0.5})
        );
        assert_eq!(
            attribute(attributes, "flag"),
            &serde_json::json!({"boolValue": true})
        );
        assert_eq!(
            attribute(attributes, "text"),
            &serde_json::json!({"stringValue": "hi"})
        );
        // tracing-opentelemetry records u64 through Debug.
        assert_eq!(
            attribute(attributes, "unsigned"),
            &serde_json::json!({"stringValue": "7"})
        );
        let failed: Vec<_> = attributes
            .as_array()
            .unwrap()
            .iter()
            .filter(|attribute| attribute["key"] == "failed")
            .map(|attribute| attribute["value"]["boolValue"].clone())
            .collect();
        assert_eq!(failed, [true, false]);
        for key in [
            "target",
            "code.file.path",
            "code.line.number",
            "busy_ns",
            "idle_ns",
        ] {
            attribute(attributes, key);
        }
    }

    #[test]
    fn otel_fields_set_name_kind_and_status() {
        let lines = export(|| {
            let _span = tracing::info_span!(
                "original",
                otel.name = "renamed",
                otel.kind = "client",
                otel.status_code = "ok"
            )
            .entered();
            // Ok ranks above Error: an error event no longer changes the status.
            tracing::error!("ignored");
        });
        let span = span(&lines[0], "renamed");
        assert_eq!(span["kind"], 3);
        assert_eq!(
            span["status"],
            serde_json::json!({"message": "", "code": 1})
        );
    }

    #[test]
    fn an_error_field_before_the_message_makes_an_exception_event() {
        let lines = export(|| {
            let _span = tracing::info_span!("failing").entered();
            tracing::warn!(error = "disk full");
        });
        let span = span(&lines[0], "failing");
        let event = &span["events"][0];
        assert_eq!(event["name"], "exception");
        assert_eq!(
            attribute(&event["attributes"], "exception.message"),
            &serde_json::json!({"stringValue": "\"disk full\""})
        );
        assert_eq!(
            attribute(&event["attributes"], "level")["stringValue"],
            "WARN"
        );
        assert_eq!(span["status"]["code"], 2);
        assert_eq!(span["status"]["message"], "\"disk full\"");
    }

    #[test]
    fn error_values_carry_their_source_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] io::Error);

        let lines = export(|| {
            let _span = tracing::info_span!("failing").entered();
            let error = Outer(io::Error::other("inner"));
            tracing::info!(
                error = &error as &(dyn std::error::Error + 'static),
                "broken"
            );
        });
        let span = span(&lines[0], "failing");
        let chain = serde_json::json!({"arrayValue": {"values": [{"stringValue": "inner"}]}});
        let event = &span["events"][0];
        assert_eq!(event["name"], "broken");
        assert_eq!(attribute(&event["attributes"], "error.chain"), &chain);
        assert_eq!(
            attribute(&event["attributes"], "exception.stacktrace"),
            &chain
        );
        assert_eq!(
            attribute(&span["attributes"], "exception.message")["stringValue"],
            "outer"
        );
        // INFO with an error value: no error status (only ERROR events and `error` text do).
        assert_eq!(span["status"]["code"], 0);
    }

    #[test]
    fn debug_spans_and_events_outside_spans_are_not_exported() {
        let lines = export(|| {
            tracing::info!("outside any span");
            let _debug = tracing::debug_span!("debug").entered();
            let _info = tracing::info_span!("info").entered();
            tracing::debug!("debug event");
        });
        let spans = spans(&lines[0]);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0]["name"], "info");
        assert_eq!(spans[0]["parentSpanId"], "");
        assert_eq!(spans[0]["events"], serde_json::json!([]));
    }

    #[test]
    fn a_full_batch_is_written_before_the_end() {
        let lines = export(|| {
            for _ in 0..513 {
                drop(tracing::info_span!("many"));
            }
        });
        let counts: Vec<_> = lines.iter().map(|line| spans(line).len()).collect();
        assert_eq!(counts, [512, 1]);
    }

    #[test]
    fn resource_and_scope_are_upstreams() {
        let lines = export(|| drop(tracing::info_span!("one")));
        let resource = &lines[0]["resourceSpans"][0]["resource"];
        assert_eq!(
            attribute(&resource["attributes"], "buildpack_homepage")["stringValue"],
            ""
        );
        assert_eq!(
            attribute(&resource["attributes"], "telemetry.sdk.language")["stringValue"],
            "rust"
        );
        let scope = &lines[0]["resourceSpans"][0]["scopeSpans"][0]["scope"];
        assert_eq!(scope["name"], "libcnb");
        assert_eq!(
            attribute(&scope["attributes"], "buildpack_id")["stringValue"],
            "company.com/foo"
        );
    }

    #[test]
    fn resource_attributes_from_the_environment_never_replace_the_buildpacks() {
        let attributes = super::parse_resource_attributes(" a = 1 ,b=2,a=3,broken,");
        let pairs: Vec<_> = attributes
            .iter()
            .map(|attribute| {
                (
                    attribute.key.to_string(),
                    serde_json::to_value(&attribute.value).unwrap(),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            [
                ("b".to_string(), serde_json::json!({"stringValue": "2"})),
                ("a".to_string(), serde_json::json!({"stringValue": "3"})),
            ]
        );
    }
}
