import YAMLSource

/// A parsed values file: the document kubeharden edits (the chart's own `values.yaml`), or a
/// subchart's defaults that it only reads.
struct ValuesFile: Sendable {
  var path: String
  var bytes: [UInt8]
  var document: Document?
  var editor: MappingEditor? { document.map { MappingEditor($0) } }
}

/// `.Values` of one chart as Helm sees it when rendering with default values: the chart's own
/// defaults, overridden by its parent's values under the chart's key (for a subchart), layered
/// as Helm merges them (https://helm.sh/docs/chart_template_guide/subcharts_and_globals/:
/// "a parent chart can override values for subcharts"; the parent's values win).
struct ValuesScope: Sendable {
  struct Layer: Sendable {
    var document: Document
    var editor: MappingEditor
    var root: NodeID
    /// The keys from the layer's root to this chart's `.Values` (`[]` or `["subchart"]`).
    var prefix: [String]
  }
  /// Strongest first.
  var layers: [Layer]
  /// The keys from the edited (top-level) values file's root to this chart's `.Values`.
  var editPrefix: [String]

  init(layers: [Layer], editPrefix: [String]) {
    self.layers = layers
    self.editPrefix = editPrefix
  }

  /// The value nodes at `path`, strongest first (each layer that has one).
  func nodes(_ path: [String]) -> [(Layer, NodeID)] {
    var found: [(Layer, NodeID)] = []
    for layer in layers {
      if let node = layer.editor.value(at: layer.prefix + path, in: layer.root) {
        found.append((layer, layer.document.resolved(node)))
      } else if path.isEmpty && layer.prefix.isEmpty {
        found.append((layer, layer.root))
      }
    }
    return found
  }

  /// The node that decides the value at `path` (the strongest layer's), if any.
  func node(_ path: [String]) -> (Layer, NodeID)? { nodes(path).first }

  /// Go-template truth of the value at `path`: false for a missing value, null, false, 0, an
  /// empty string and an empty map or list (https://pkg.go.dev/text/template: "The empty values
  /// are false, 0, any nil pointer or interface value, and any array, slice, map, or string of
  /// length zero").
  func isTruthy(_ path: [String]) -> Bool {
    let all = nodes(path)
    guard let (layer, node) = all.first else { return false }
    let document = layer.document
    if document.isMapping(node) {
      return all.contains { $0.0.document.isMapping($0.1) && $0.0.document.firstChild($0.1) != nil }
    }
    if document.isSequence(node) { return document.firstChild(node) != nil }
    return ValuesScope.scalarTruth(document, node)
  }

  static func scalarTruth(_ document: Document, _ node: NodeID) -> Bool {
    guard document.isScalar(node) else { return false }
    if document.style(node).isQuoted || document.style(node).isBlockScalar { return !document.valueBytes(node).isEmpty }
    if document.isNull(node) { return false }
    if let b = document.bool(node) { return b }
    if let i = document.integer(node) { return i != 0 }
    if let text = document.string(node), let d = Double(text) { return d != 0 }
    return !document.valueBytes(node).isEmpty
  }

  /// Whether the value at `path` is missing, null, an empty map or an empty list: a block that
  /// renders nothing today and that kubeharden may fill.
  func isEmptyMapOrMissing(_ path: [String]) -> Bool {
    let all = nodes(path)
    guard !all.isEmpty else { return true }
    return all.allSatisfy { layer, node in
      let d = layer.document
      return ((d.isMapping(node) || d.isSequence(node)) && d.firstChild(node) == nil)
        || (d.isScalar(node) && !d.style(node).isQuoted && d.isNull(node))
    }
  }

  /// The scalar at `path` as a template prints it, if it is a scalar.
  func scalarText(_ path: [String]) -> String? {
    guard let (layer, node) = node(path), layer.document.isScalar(node) else { return nil }
    let document = layer.document
    if !document.style(node).isQuoted && document.isNull(node) { return "<nil>" }
    return document.string(node)
  }

  /// Keys of the mapping at `path`, merged over the layers (strongest first, then the keys only
  /// weaker layers have). Nil when the strongest value is not a mapping.
  func mappingKeys(_ path: [String]) -> [String]? {
    let all = nodes(path)
    guard let first = all.first, first.0.document.isMapping(first.1) else { return nil }
    var keys: [String] = []
    for (layer, node) in all where layer.document.isMapping(node) {
      for entry in layer.document.eachEntry(node) {
        guard let key = layer.document.string(layer.document.resolved(entry.key)), !keys.contains(key) else { continue }
        keys.append(key)
      }
    }
    return keys
  }

  /// The value at `path` in YAML flow style (JSON-like), merged over the layers: what the
  /// synthetic manifest carries where a template writes `toYaml` of it.
  func flowText(_ path: [String], depth: Int = 0) -> String {
    guard depth < 64, let (layer, node) = node(path) else { return "null" }
    let document = layer.document
    if let keys = mappingKeys(path) {
      if keys.isEmpty { return "{}" }
      return "{" + keys.map { ValuesScope.flowKey($0) + ": " + flowText(path + [$0], depth: depth + 1) }.joined(separator: ", ") + "}"
    }
    return ValuesScope.flowText(document, node, depth: depth)
  }

  static func flowKey(_ key: String) -> String {
    ScalarRendering.isPlainSafe(key, flow: true) ? key : quoted(key)
  }

  static func flowText(_ document: Document, _ node: NodeID, depth: Int) -> String {
    let node = document.resolved(node)
    guard depth < 64 else { return "null" }
    if document.isSequence(node) {
      return "[" + document.items(node).map { flowText(document, $0, depth: depth + 1) }.joined(separator: ", ") + "]"
    }
    if document.isMapping(node) {
      return "{"
        + document.entries(node).map { entry in
          flowKey(document.string(document.resolved(entry.key)) ?? "") + ": " + flowText(document, entry.value, depth: depth + 1)
        }.joined(separator: ", ") + "}"
    }
    guard document.isScalar(node) else { return "null" }
    let text = document.string(node) ?? ""
    if document.style(node) == .plain {
      if document.isNull(node) { return "null" }
      if ScalarRendering.isPlainSafe(text, flow: true) || document.bool(node) != nil || document.integer(node) != nil { return text }
      if Double(text) != nil { return text }
    }
    return quoted(text)
  }

  /// A double-quoted scalar (the YAML layer's JSON-compatible escapes).
  static func quoted(_ text: String) -> String { ScalarRendering.doubleQuoted(text) }
}
