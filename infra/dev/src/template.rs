//! Reads `template.yaml`, the single source of the routes and of the table's shape.

use std::path::Path;

use serde_yaml::Value;
use tenantry_store::{IndexSpec, TableSpec};

/// An HTTP route of the API as the template declares it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RouteSpec {
    pub method: String,
    pub path: String,
    /// The function's binary (= crate) name.
    pub function: String,
}

#[derive(Debug)]
pub struct Template {
    root: Value,
}

impl Template {
    pub fn load(path: &Path) -> Result<Template, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Template::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Template, String> {
        let root = serde_yaml::from_str(text).map_err(|e| format!("template.yaml: {e}"))?;
        Ok(Template { root })
    }

    fn resources(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.root
            .get("Resources")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(name, res)| Some((name.as_str()?, res)))
    }

    fn of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
        self.resources()
            .filter(move |(_, res)| res.get("Type").and_then(Value::as_str) == Some(kind))
    }

    /// Every HttpApi event of every function, sorted.
    pub fn routes(&self) -> Result<Vec<RouteSpec>, String> {
        let mut routes = Vec::new();
        for (binary, event) in self.functions_on(&["HttpApi"])? {
            let method = str_at(event, &["Properties", "Method"])
                .ok_or_else(|| format!("{binary}: HttpApi event without Method"))?;
            let path = str_at(event, &["Properties", "Path"])
                .ok_or_else(|| format!("{binary}: HttpApi event without Path"))?;
            routes.push(RouteSpec {
                method: method.to_ascii_uppercase(),
                path: path.to_owned(),
                function: binary,
            });
        }
        routes.sort();
        Ok(routes)
    }

    /// The binaries of the functions an EventBridge schedule invokes.
    pub fn scheduled_functions(&self) -> Result<std::collections::BTreeSet<String>, String> {
        Ok(self
            .functions_on(&["Schedule", "ScheduleV2"])?
            .into_iter()
            .map(|(binary, _)| binary)
            .collect())
    }

    /// The binaries of the functions a DynamoDB stream invokes.
    pub fn stream_functions(&self) -> Result<std::collections::BTreeSet<String>, String> {
        Ok(self
            .functions_on(&["DynamoDB"])?
            .into_iter()
            .map(|(binary, _)| binary)
            .collect())
    }

    /// The filter patterns of the DynamoDB stream events of the function `binary`.
    pub fn stream_filters(&self, binary: &str) -> Result<Vec<String>, String> {
        let events = self.functions_on(&["DynamoDB"])?;
        let mut patterns = Vec::new();
        for (_, event) in events.into_iter().filter(|(b, _)| b == binary) {
            let filters = event
                .get("Properties")
                .and_then(|p| p.get("FilterCriteria"))
                .and_then(|f| f.get("Filters"))
                .and_then(Value::as_sequence)
                .ok_or_else(|| {
                    format!("{binary}: a stream event without FilterCriteria.Filters")
                })?;
            for filter in filters {
                let pattern = str_at(filter, &["Pattern"])
                    .ok_or_else(|| format!("{binary}: a filter without a Pattern"))?;
                patterns.push(pattern.to_owned());
            }
        }
        Ok(patterns)
    }

    /// (binary, event) for every event of one of these types, of every function.
    fn functions_on(&self, types: &[&str]) -> Result<Vec<(String, &Value)>, String> {
        let mut found = Vec::new();
        for (name, function) in self.of_type("AWS::Serverless::Function") {
            let binary = str_at(function, &["Metadata", "BuildProperties", "Binary"])
                .ok_or_else(|| format!("{name}: no Metadata.BuildProperties.Binary"))?;
            let events = function
                .get("Properties")
                .and_then(|p| p.get("Events"))
                .and_then(Value::as_mapping)
                .into_iter()
                .flatten();
            for (_, event) in events {
                if event
                    .get("Type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| types.contains(&t))
                {
                    found.push((binary.to_owned(), event));
                }
            }
        }
        Ok(found)
    }

    /// Each function's granted actions (from its inline policy statements), by binary name.
    pub fn granted_actions(
        &self,
    ) -> Result<std::collections::BTreeMap<String, std::collections::BTreeSet<String>>, String>
    {
        let mut granted = std::collections::BTreeMap::new();
        for (name, function) in self.of_type("AWS::Serverless::Function") {
            let binary = str_at(function, &["Metadata", "BuildProperties", "Binary"])
                .ok_or_else(|| format!("{name}: no Metadata.BuildProperties.Binary"))?;
            let actions: std::collections::BTreeSet<String> = function
                .get("Properties")
                .and_then(|p| p.get("Policies"))
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter_map(|policy| policy.get("Statement").and_then(Value::as_sequence))
                .flatten()
                .filter_map(|statement| statement.get("Action"))
                .flat_map(|action| match action {
                    Value::Sequence(list) => list.iter().filter_map(Value::as_str).collect(),
                    other => other.as_str().into_iter().collect::<Vec<_>>(),
                })
                .map(str::to_owned)
                .collect();
            granted.insert(binary.to_owned(), actions);
        }
        Ok(granted)
    }

    /// A template parameter's default value, as text.
    pub fn parameter_default(&self, name: &str) -> Option<String> {
        match self.root.get("Parameters")?.get(name)?.get("Default")? {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        }
    }

    /// The environment variables each function declares (its own and the Globals'), by
    /// logical id. `sam local --env-vars` can set only these.
    pub fn environment(
        &self,
    ) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
        let names = |value: Option<&Value>| -> std::collections::BTreeSet<String> {
            value
                .and_then(|e| e.get("Variables"))
                .and_then(Value::as_mapping)
                .into_iter()
                .flatten()
                .filter_map(|(name, _)| name.as_str().map(str::to_owned))
                .collect()
        };
        let global = names(
            self.root
                .get("Globals")
                .and_then(|g| g.get("Function"))
                .and_then(|f| f.get("Environment")),
        );
        self.of_type("AWS::Serverless::Function")
            .map(|(name, function)| {
                let own = names(
                    function
                        .get("Properties")
                        .and_then(|p| p.get("Environment")),
                );
                (name.to_owned(), global.union(&own).cloned().collect())
            })
            .collect()
    }

    /// The environment the template gives the function `binary`: the Globals' variables, then
    /// its own, each resolved as CloudFormation would for a stack named `stack` in us-east-1
    /// with every parameter at its default. A value only a deployment can give (a secret, a
    /// resource's name, a condition) is `None`: the caller supplies a local one.
    pub fn function_environment(
        &self,
        binary: &str,
        stack: &str,
    ) -> Result<std::collections::BTreeMap<String, Option<String>>, String> {
        let (name, function) = self
            .of_type("AWS::Serverless::Function")
            .find(|(_, f)| str_at(f, &["Metadata", "BuildProperties", "Binary"]) == Some(binary))
            .ok_or_else(|| format!("no function of template.yaml is built as {binary}"))?;
        let global = self
            .root
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get("Environment"));
        let own = function
            .get("Properties")
            .and_then(|p| p.get("Environment"));
        let mut environment = std::collections::BTreeMap::new();
        for variables in [global, own]
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("Variables"))
        {
            let variables = variables
                .as_mapping()
                .ok_or_else(|| format!("{name}: Environment.Variables is not a mapping"))?;
            for (key, value) in variables {
                let key = key
                    .as_str()
                    .ok_or_else(|| format!("{name}: a variable name that is not text"))?;
                environment.insert(key.to_owned(), self.resolve(value, stack));
            }
        }
        Ok(environment)
    }

    /// Each function's memory (MB) by binary name: its own `MemorySize`, else the Globals';
    /// `None` when neither sets one (Lambda's default, 128, would apply).
    pub fn memory_sizes(&self) -> Result<std::collections::BTreeMap<String, Option<u64>>, String> {
        let number = |value: &Value, whose: &str| {
            value
                .as_u64()
                .ok_or_else(|| format!("{whose}: MemorySize {value:?} is not a whole number"))
        };
        let global = match self
            .root
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get("MemorySize"))
        {
            Some(value) => Some(number(value, "Globals.Function")?),
            None => None,
        };
        let mut sizes = std::collections::BTreeMap::new();
        for (name, function) in self.of_type("AWS::Serverless::Function") {
            let binary = str_at(function, &["Metadata", "BuildProperties", "Binary"])
                .ok_or_else(|| format!("{name}: no Metadata.BuildProperties.Binary"))?;
            let own = match function.get("Properties").and_then(|p| p.get("MemorySize")) {
                Some(value) => Some(number(value, name)?),
                None => None,
            };
            sizes.insert(binary.to_owned(), own.or(global));
        }
        Ok(sizes)
    }

    /// A value as text: a literal, a `Ref` to a parameter or a pseudo parameter, or an
    /// `Fn::Sub` of those; `None` for anything else.
    fn resolve(&self, value: &Value, stack: &str) -> Option<String> {
        let reference = |name: &str| match name {
            "AWS::StackName" => Some(stack.to_owned()),
            "AWS::Region" => Some("us-east-1".to_owned()),
            "AWS::AccountId" => Some("123456789012".to_owned()),
            "AWS::Partition" => Some("aws".to_owned()),
            parameter => self.parameter_default(parameter),
        };
        match value {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            Value::Mapping(map) if map.len() == 1 => {
                if let Some(name) = map.get("Ref").and_then(Value::as_str) {
                    return reference(name);
                }
                let mut rest = map.get("Fn::Sub")?.as_str()?;
                let mut text = String::new();
                while let Some(start) = rest.find("${") {
                    let end = rest[start..].find('}')? + start;
                    text.push_str(&rest[..start]);
                    text.push_str(&reference(&rest[start + 2..end])?);
                    rest = &rest[end + 1..];
                }
                text.push_str(rest);
                Some(text)
            }
            _ => None,
        }
    }

    /// Whether the condition `name` holds with every parameter at its default: `Fn::Equals`
    /// of values `resolve` knows, `Fn::Not`, `Fn::And`, `Fn::Or` and `Condition`.
    fn condition(&self, name: &str) -> Result<bool, String> {
        let definition = self
            .root
            .get("Conditions")
            .and_then(|c| c.get(name))
            .ok_or_else(|| format!("no condition {name}"))?;
        self.holds(definition)
    }

    fn holds(&self, value: &Value) -> Result<bool, String> {
        let map = value
            .as_mapping()
            .filter(|m| m.len() == 1)
            .ok_or("a condition is one intrinsic function")?;
        let (function, operand) = map.iter().next().expect("one entry");
        let list = || {
            operand
                .as_sequence()
                .ok_or_else(|| format!("{function:?} takes a list"))
        };
        match function.as_str() {
            Some("Condition") => self.condition(operand.as_str().ok_or("Condition names one")?),
            Some("Fn::Equals") => match list()?.as_slice() {
                [a, b] => {
                    let value = |v| {
                        self.resolve(v, "tenantry")
                            .ok_or_else(|| format!("cannot resolve {v:?}"))
                    };
                    Ok(value(a)? == value(b)?)
                }
                _ => Err("Fn::Equals takes two values".into()),
            },
            Some("Fn::Not") => match list()?.as_slice() {
                [inner] => Ok(!self.holds(inner)?),
                _ => Err("Fn::Not takes one condition".into()),
            },
            Some("Fn::And") => list()?
                .iter()
                .try_fold(true, |all, c| Ok(all && self.holds(c)?)),
            Some("Fn::Or") => list()?
                .iter()
                .try_fold(false, |any, c| Ok(any || self.holds(c)?)),
            other => Err(format!("unknown condition function {other:?}")),
        }
    }

    /// A list element as CloudFormation would have it with default parameters: `Fn::If`
    /// picks its branch, and `AWS::NoValue` removes the element (`None`).
    fn element<'a>(&self, value: &'a Value) -> Result<Option<&'a Value>, String> {
        let Some(branches) = value.get("Fn::If") else {
            return Ok(Some(value));
        };
        let [name, then, otherwise] = branches
            .as_sequence()
            .map(Vec::as_slice)
            .ok_or("Fn::If takes a list")?
        else {
            return Err("Fn::If takes a condition and two values".into());
        };
        let name = name.as_str().ok_or("Fn::If names its condition")?;
        let chosen = if self.condition(name)? {
            then
        } else {
            otherwise
        };
        if chosen.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue") {
            return Ok(None);
        }
        self.element(chosen)
    }

    /// The keys and indexes of the one DynamoDB table.
    pub fn table(&self) -> Result<TableSpec, String> {
        let mut tables = self.of_type("AWS::DynamoDB::Table");
        let (name, table) = tables.next().ok_or("no AWS::DynamoDB::Table in template")?;
        let props = table
            .get("Properties")
            .ok_or_else(|| format!("{name}: no Properties"))?;
        let pairs =
            |value: Option<&Value>, a: &str, b: &str| -> Result<Vec<(String, String)>, String> {
                value
                    .and_then(Value::as_sequence)
                    .ok_or_else(|| format!("{name}: missing list"))?
                    .iter()
                    .map(|entry| {
                        match (
                            entry.get(a).and_then(Value::as_str),
                            entry.get(b).and_then(Value::as_str),
                        ) {
                            (Some(x), Some(y)) => Ok((x.to_owned(), y.to_owned())),
                            _ => Err(format!("{name}: entry without {a}/{b}")),
                        }
                    })
                    .collect()
            };
        let mut indexes = Vec::new();
        for index in props
            .get("GlobalSecondaryIndexes")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let Some(index) = self.element(index)? else {
                continue;
            };
            indexes.push(IndexSpec {
                name: str_at(index, &["IndexName"])
                    .ok_or_else(|| format!("{name}: index without IndexName"))?
                    .to_owned(),
                key: pairs(index.get("KeySchema"), "AttributeName", "KeyType")?,
                projection: str_at(index, &["Projection", "ProjectionType"])
                    .unwrap_or("ALL")
                    .to_owned(),
                non_key_attributes: index
                    .get("Projection")
                    .and_then(|p| p.get("NonKeyAttributes"))
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            });
        }
        Ok(TableSpec {
            attributes: pairs(
                props.get("AttributeDefinitions"),
                "AttributeName",
                "AttributeType",
            )?,
            key: pairs(props.get("KeySchema"), "AttributeName", "KeyType")?,
            indexes,
            stream_view_type: str_at(props, &["StreamSpecification", "StreamViewType"])
                .map(str::to_owned),
        })
    }
}

fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |v, key| v.get(*key))
        .and_then(Value::as_str)
}

/// `template.yaml` at the root of the repository.
pub fn default_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table whose second index exists only while the parameter says `keep`.
    fn with_legacy(default: &str) -> Template {
        Template::parse(&format!(
            r#"
Parameters:
  Legacy: {{Type: String, Default: {default}}}
Conditions:
  KeepLegacy: {{"Fn::Equals": [{{Ref: Legacy}}, keep]}}
  NotKeepLegacy: {{"Fn::Not": [{{Condition: KeepLegacy}}]}}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{{AttributeName: PK, AttributeType: S}}]
      KeySchema: [{{AttributeName: PK, KeyType: HASH}}]
      GlobalSecondaryIndexes:
        - IndexName: new
          KeySchema: [{{AttributeName: PK, KeyType: HASH}}]
          Projection: {{ProjectionType: KEYS_ONLY}}
        - "Fn::If":
            - KeepLegacy
            - IndexName: old
              KeySchema: [{{AttributeName: PK, KeyType: HASH}}]
              Projection: {{ProjectionType: ALL}}
            - Ref: AWS::NoValue
        - "Fn::If":
            - NotKeepLegacy
            - Ref: AWS::NoValue
            - IndexName: also-old
              KeySchema: [{{AttributeName: PK, KeyType: HASH}}]
"#
        ))
        .unwrap()
    }

    fn indexes(template: &Template) -> Vec<(String, String)> {
        let table = template.table().unwrap();
        table
            .indexes
            .into_iter()
            .map(|i| (i.name, i.projection))
            .collect()
    }

    #[test]
    fn an_index_under_fn_if_exists_as_its_condition_says_at_the_defaults() {
        let new = ("new".to_owned(), "KEYS_ONLY".to_owned());
        assert_eq!(indexes(&with_legacy("drop")), std::slice::from_ref(&new));
        assert_eq!(
            indexes(&with_legacy("keep")),
            [
                new,
                ("old".into(), "ALL".into()),
                ("also-old".into(), "ALL".into())
            ]
        );
    }

    #[test]
    fn the_purge_index_copies_keys_only() {
        let template = Template::load(&default_path()).unwrap();
        let purge: Vec<_> = indexes(&template)
            .into_iter()
            .filter(|(name, _)| name == tenantry_store::keys::PURGE_INDEX)
            .collect();
        assert_eq!(
            purge,
            [(
                tenantry_store::keys::PURGE_INDEX.to_owned(),
                "KEYS_ONLY".to_owned()
            )]
        );
        assert_eq!(indexes(&template).len(), 1, "no other index by default");
    }

    #[test]
    fn a_function_s_own_memory_size_wins_over_the_globals() {
        let function = |name: &str, own: &str| {
            format!(
                "  {name}:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildProperties: {{Binary: {name}}}\n    Properties: {{CodeUri: .{own}}}\n"
            )
        };
        let text = |globals: &str| {
            format!(
                "{globals}Resources:\n{}{}",
                function("own", ", MemorySize: 512"),
                function("inherits", "")
            )
        };
        let sizes = Template::parse(&text("Globals:\n  Function: {MemorySize: 256}\n"))
            .unwrap()
            .memory_sizes()
            .unwrap();
        assert_eq!(sizes["own"], Some(512));
        assert_eq!(sizes["inherits"], Some(256));
        let sizes = Template::parse(&text("")).unwrap().memory_sizes().unwrap();
        assert_eq!(sizes["inherits"], None);
        let wrong = Template::parse(&text("Globals:\n  Function: {MemorySize: lots}\n")).unwrap();
        assert!(
            wrong
                .memory_sizes()
                .unwrap_err()
                .contains("not a whole number")
        );
    }
}
