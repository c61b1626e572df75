//! `PipelineImage`: the original's stored form of a compiled pipeline
//! (`modules/runtime/.../PipelineImage.scala`): a DagSpec, the module call
//! options keyed by module UUID, content hashes and the compile time.
//!
//! ```json
//! {"structuralHash": "…", "syntacticHash": "", "dagSpec": {…},
//!  "moduleOptions": {"<module uuid>": {"retry": 3}},
//!  "compiledAt": "2026-01-01T00:00:00Z", "sourceHash": null}
//! ```
//!
//! Reading moves each module's options onto its
//! [`ModuleNodeSpec::options`](crate::ModuleNodeSpec::options); writing moves
//! them back into `moduleOptions`. [`read_pipeline`] takes either a DagSpec
//! or an image and tells them apart by the image's `dagSpec` field.
//!
//! The structural hash is SHA-256 of the original's canonical text
//! (`ContentHash.canonicalizeDagSpec`): modules sorted by name, data nodes by
//! name and type, UUIDs replaced by positions. Types are printed as Scala
//! prints them (`CList(CInt)`, `CProduct(Map(a -> CInt))`); Scala prints a
//! record's fields in the order the map was built, which the JSON does not
//! keep, so we print them in name order: for pipelines whose records and
//! unions have their fields in name order (and for every pipeline without
//! records) the hash equals the original's. Hashes are written, never
//! checked on reading (the original does not check them either).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::options::ModuleCallOptions;
use crate::spec::DagSpec;
use crate::value::CType;

/// A compiled pipeline as the original stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineImage {
    /// SHA-256 of the canonical DagSpec (independent of UUIDs).
    #[serde(default)]
    pub structural_hash: String,
    /// SHA-256 of the source text, empty when there is none.
    #[serde(default)]
    pub syntactic_hash: String,
    /// The pipeline. Its module nodes carry no options while inside an
    /// image: they are in [`PipelineImage::module_options`].
    pub dag_spec: DagSpec,
    /// Call options by module UUID.
    #[serde(default)]
    pub module_options: BTreeMap<Uuid, ModuleCallOptions>,
    /// When the image was made, ISO-8601 (`2026-01-01T00:00:00Z`).
    #[serde(default)]
    pub compiled_at: String,
    /// A hash of the source, if known.
    #[serde(default)]
    pub source_hash: Option<String>,
}

/// A pipeline file that is neither a DagSpec nor a PipelineImage, or an
/// image whose options name no module.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Not valid JSON, or not the shape of either format.
    #[error("not a valid {format}: {source}")]
    Json {
        /// `DagSpec` or `PipelineImage`: the format the file was read as.
        format: &'static str,
        /// What serde found.
        #[source]
        source: serde_json::Error,
    },
    /// `moduleOptions` names a UUID that is no module of the `dagSpec`.
    #[error("moduleOptions names {uuid}, which is not a module of the dagSpec; remove the entry or fix the UUID")]
    OptionsForUnknownModule {
        /// The UUID given.
        uuid: Uuid,
    },
}

impl PipelineImage {
    /// An image of `spec`: its modules' options move into `moduleOptions`,
    /// the structural hash is computed, `compiledAt` is now.
    pub fn from_spec(mut spec: DagSpec) -> PipelineImage {
        let mut module_options = BTreeMap::new();
        for (uuid, module) in &mut spec.modules {
            let options = std::mem::take(&mut module.options);
            if !options.is_empty() {
                module_options.insert(*uuid, options);
            }
        }
        PipelineImage {
            structural_hash: structural_hash(&spec),
            syntactic_hash: String::new(),
            dag_spec: spec,
            module_options,
            compiled_at: now_iso8601(),
            source_hash: None,
        }
    }

    /// The DagSpec with every module's options on its node (options given
    /// on a node and in `moduleOptions` are overlaid, `moduleOptions`
    /// winning).
    pub fn into_spec(self) -> Result<DagSpec, ImageError> {
        let mut spec = self.dag_spec;
        for (uuid, options) in self.module_options {
            let module = spec
                .modules
                .get_mut(&uuid)
                .ok_or(ImageError::OptionsForUnknownModule { uuid })?;
            module.options = module.options.overlaid_with(&options);
        }
        Ok(spec)
    }

    /// Pretty JSON in the original's field names.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a PipelineImage always serializes")
    }
}

/// Whether this JSON is a PipelineImage (it has a `dagSpec` object).
pub fn is_image(json: &Json) -> bool {
    json.get("dagSpec").is_some_and(Json::is_object)
}

/// Reads a pipeline given as a DagSpec or as a PipelineImage.
pub fn read_pipeline(json: &Json) -> Result<DagSpec, ImageError> {
    if is_image(json) {
        let image: PipelineImage =
            PipelineImage::deserialize(json).map_err(|source| ImageError::Json {
                format: "PipelineImage",
                source,
            })?;
        image.into_spec()
    } else {
        DagSpec::deserialize(json).map_err(|source| ImageError::Json {
            format: "DagSpec",
            source,
        })
    }
}

/// The original's structural hash of a spec (see the module docs for when
/// it equals the original's exactly).
pub fn structural_hash(spec: &DagSpec) -> String {
    let digest = Sha256::digest(canonical_text(spec).as_bytes());
    let mut hex = String::with_capacity(64);
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// A type as Scala's `toString` prints the original's `CType`.
fn scala_type(t: &CType) -> String {
    let fields = |s: &BTreeMap<String, CType>| {
        let parts: Vec<String> = s
            .iter()
            .map(|(k, v)| format!("{k} -> {}", scala_type(v)))
            .collect();
        format!("Map({})", parts.join(", "))
    };
    match t {
        CType::String => "CString".into(),
        CType::Int => "CInt".into(),
        CType::Float => "CFloat".into(),
        CType::Boolean => "CBoolean".into(),
        CType::List(e) => format!("CList({})", scala_type(e)),
        CType::Seq(e) => format!("CSeq({})", scala_type(e)),
        CType::Map(k, v) => format!("CMap({},{})", scala_type(k), scala_type(v)),
        CType::Product(s) => format!("CProduct({})", fields(s)),
        CType::Union(s) => format!("CUnion({})", fields(s)),
        CType::Optional(e) => format!("COptional({})", scala_type(e)),
    }
}

/// `ContentHash.canonicalizeDagSpec`, in the same order and words.
fn canonical_text(dag: &DagSpec) -> String {
    let mut modules: Vec<(&Uuid, &crate::spec::ModuleNodeSpec)> = dag.modules.iter().collect();
    modules.sort_by(|a, b| a.1.metadata.name.cmp(&b.1.metadata.name));
    let mut data: Vec<(&Uuid, &crate::spec::DataNodeSpec, String)> = dag
        .data
        .iter()
        .map(|(u, d)| (u, d, scala_type(&d.c_type)))
        .collect();
    data.sort_by(|a, b| (&a.1.name, &a.2).cmp(&(&b.1.name, &b.2)));
    let mut index: BTreeMap<Uuid, usize> = BTreeMap::new();
    for uuid in modules
        .iter()
        .map(|m| *m.0)
        .chain(data.iter().map(|d| *d.0))
    {
        let next = index.len();
        index.entry(uuid).or_insert(next);
    }
    let idx = |u: &Uuid| {
        index
            .get(u)
            .map_or_else(|| u.to_string(), |i| format!("#{i}"))
    };
    let mut s = String::new();
    let _ = writeln!(s, "dag:{}", dag.metadata.name);
    for (uuid, m) in &modules {
        let _ = writeln!(s, "  module[{}]:{}", idx(uuid), m.metadata.name);
        for (name, t) in &m.consumes {
            let _ = writeln!(s, "    consumes:{name}={}", scala_type(t));
        }
        for (name, t) in &m.produces {
            let _ = writeln!(s, "    produces:{name}={}", scala_type(t));
        }
    }
    for (uuid, d, ty) in &data {
        let _ = writeln!(s, "  data[{}]:{}={ty}", idx(uuid), d.name);
        // The original sorts nicknames by the module UUID's text.
        let mut nicks: Vec<(String, &Uuid, &String)> = d
            .nicknames
            .iter()
            .map(|(u, n)| (u.to_string(), u, n))
            .collect();
        nicks.sort();
        for (_, module, nick) in nicks {
            let _ = writeln!(s, "    nickname:{}={nick}", idx(module));
        }
        if let Ok(Some(t)) = d.transform() {
            // Scala's getSimpleName of a case object ends in `$`.
            let object = t.is_case_object();
            let _ = writeln!(
                s,
                "    transform:{}{}",
                t.class_name(),
                if object { "$" } else { "" }
            );
        }
        for (name, input) in &d.transform_inputs {
            let _ = writeln!(s, "    transformInput:{name}={}", idx(input));
        }
    }
    let mut edges: Vec<(String, String)> =
        dag.in_edges.iter().map(|(a, b)| (idx(a), idx(b))).collect();
    edges.sort();
    for (a, b) in edges {
        let _ = writeln!(s, "  inEdge:{a}->{b}");
    }
    let mut edges: Vec<(String, String)> = dag
        .out_edges
        .iter()
        .map(|(a, b)| (idx(a), idx(b)))
        .collect();
    edges.sort();
    for (a, b) in edges {
        let _ = writeln!(s, "  outEdge:{a}->{b}");
    }
    let mut outputs = dag.declared_outputs.clone();
    outputs.sort();
    for name in outputs {
        let _ = writeln!(s, "  output:{name}");
    }
    for (name, uuid) in &dag.output_bindings {
        let _ = writeln!(s, "  outputBinding:{name}={}", idx(uuid));
    }
    s
}

/// The current UTC time as ISO-8601 with milliseconds, as Java's
/// `Instant.toString` writes it.
fn now_iso8601() -> String {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    iso8601(since.as_secs() as i64, since.subsec_millis())
}

fn iso8601(secs: i64, millis: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    if millis == 0 {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{millis:03}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::DagBuilder;
    use serde_json::json;

    fn spec_with_options() -> (DagSpec, Uuid) {
        let mut b = DagBuilder::new("img");
        let x = b.input("x", CType::Int);
        let m = b.module("stdlib.negate");
        b.bind(x, m, "value");
        let y = b.produce(m, "out", "y", CType::Int);
        b.output("y", y);
        b.options(
            m,
            ModuleCallOptions {
                retry: Some(2),
                ..Default::default()
            },
        );
        let spec = b.build();
        let uuid = *spec.modules.keys().next().unwrap();
        (spec, uuid)
    }

    #[test]
    fn options_move_into_module_options_and_back() {
        let (spec, uuid) = spec_with_options();
        let image = PipelineImage::from_spec(spec.clone());
        assert!(image.dag_spec.modules[&uuid].options.is_empty());
        assert_eq!(image.module_options[&uuid].retry, Some(2));
        assert_eq!(image.structural_hash.len(), 64);
        let json: Json = serde_json::from_str(&image.to_json()).unwrap();
        assert!(is_image(&json));
        assert_eq!(json["moduleOptions"][uuid.to_string()]["retry"], json!(2));
        assert_eq!(read_pipeline(&json).unwrap(), spec);
        // A DagSpec reads as itself.
        let as_spec = serde_json::to_value(&spec).unwrap();
        assert_eq!(read_pipeline(&as_spec).unwrap(), spec);
    }

    #[test]
    fn the_hash_follows_the_structure() {
        let (a, _) = spec_with_options();
        assert_eq!(structural_hash(&a), structural_hash(&a.clone()));
        let mut renamed = a.clone();
        renamed.modules.values_mut().next().unwrap().metadata.name = "stdlib.abs".into();
        assert_ne!(structural_hash(&a), structural_hash(&renamed));
        let text = canonical_text(&a);
        assert!(
            text.starts_with("dag:img\n  module[#0]:stdlib.negate\n    consumes:value=CInt\n"),
            "{text}"
        );
    }

    #[test]
    fn options_for_an_unknown_module_are_refused() {
        let (spec, _) = spec_with_options();
        let stray = Uuid::from_u128(7);
        let json = json!({"structuralHash": "", "syntacticHash": "", "dagSpec": spec,
            "moduleOptions": {stray.to_string(): {"retry": 1}},
            "compiledAt": "2026-01-01T00:00:00Z", "sourceHash": null});
        let err = read_pipeline(&json).unwrap_err();
        assert!(err.to_string().contains(&stray.to_string()), "{err}");
    }

    #[test]
    fn timestamps_print_as_java_instants() {
        assert_eq!(iso8601(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_767_225_600, 5), "2026-01-01T00:00:00.005Z");
        assert_eq!(iso8601(951_782_400, 0), "2000-02-29T00:00:00Z");
    }
}
