import Foundation

/// The parts of a chart's `values.schema.json` (JSON Schema) that decide whether a key may be
/// added: `properties`, `additionalProperties` and local `$ref`s along one path.
///
/// Helm validates the values against this schema when it renders
/// (https://helm.sh/docs/topics/charts/#schema-files); with `"additionalProperties": false` a
/// key the schema does not list makes the chart fail to render
/// (https://json-schema.org/understanding-json-schema/reference/object#additionalproperties).
struct ValuesSchema: @unchecked Sendable {
  let root: [String: Any]

  init?(json: Data) {
    guard let object = try? JSONSerialization.jsonObject(with: json), let root = object as? [String: Any] else { return nil }
    self.root = root
  }

  /// The schema a local reference (`#/$defs/x`, `#/definitions/x`) points to.
  func resolve(_ schema: [String: Any], depth: Int = 0) -> [String: Any] {
    guard depth < 16, let ref = schema["$ref"] as? String, ref.hasPrefix("#/") else { return schema }
    var current: Any = root
    for part in ref.dropFirst(2).split(separator: "/") {
      let key = part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
      guard let next = (current as? [String: Any])?[key] else { return schema }
      current = next
    }
    guard let target = current as? [String: Any] else { return schema }
    return resolve(target, depth: depth + 1)
  }

  /// The first key of `path` that the schema forbids (with the path to it), or nil when every
  /// key is allowed or the schema does not say.
  func forbiddenKey(in path: [String]) -> [String]? {
    var schema = resolve(root)
    for (i, key) in path.enumerated() {
      if let properties = schema["properties"] as? [String: Any], let child = properties[key] as? [String: Any] {
        schema = resolve(child)
        continue
      }
      if let additional = schema["additionalProperties"] as? Bool {
        if additional == false { return Array(path[...i]) }
        return nil
      }
      if let additional = schema["additionalProperties"] as? [String: Any] {
        schema = resolve(additional)
        continue
      }
      return nil
    }
    return nil
  }
}
