import YAMLSource

/// The Go template actions (`{{ ... }}`) of a file, read from its bytes before any YAML parse,
/// and which of them only a Helm template holds.
///
/// Real manifests carry Go-template-like text in strings that another program expands later:
/// Prometheus alert annotations (`{{ $labels.instance }}`, `{{ $value | humanize }}`), Alertmanager
/// templates in a ConfigMap (`{{ define "x" }}{{- range .Alerts }}`), Argo Workflows parameters
/// (`{{inputs.parameters.message}}`), Grafana legends (`{{instance}}`). None of them names Helm's
/// built-in objects or calls Helm's own functions, so those are what marks a Helm template,
/// wherever the action sits (quoted or not):
/// - the built-in objects `.Values`, `.Release`, `.Chart`, `.Capabilities`, `.Template`, `.Files`
///   (https://helm.sh/docs/chart_template_guide/builtin_objects/);
/// - the functions only Helm adds to Go templates: `include`, `tpl`, `required`, `lookup`
///   (helm/helm `pkg/engine/funcs.go` `funcMap()` and `pkg/engine/engine.go`, where the
///   late-bound `include` and `tpl` are set). Not Sprig's `indent`/`nindent` nor `toYaml`,
///   however common in charts: Argo CD ApplicationSets (`goTemplate: true`) expand Go templates
///   with Sprig in their own strings
///   (https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/GoTemplate/), and
///   other template hosts add a `toYaml` of their own
///   (https://go-vela.github.io/docs/templates/tutorials/go/functions/).
/// Prometheus (https://prometheus.io/docs/prometheus/latest/configuration/template_reference/)
/// and Alertmanager (https://prometheus.io/docs/alerting/latest/notifications/) templates offer
/// none of these names; Argo Workflows' `{{inputs.parameters.x}}` is no Go template at all.
/// Control actions and trim markers (`{{- if`, `{{ end }}`) are no such mark: Alertmanager
/// templates use them too. A template built only from those fails the YAML parse or leaves
/// template text where YAML structure is, which `Pipeline.rejectTemplates` finds.
struct TemplateActions {
  /// Offset of the first action (`{{` with a closing `}}`).
  let first: Int
  /// Offset of the first action that only a Helm template holds.
  let helm: Int?
  /// Offset of the first action that stands where YAML structure is: first on its line
  /// (`{{- if ... }}`) or right after a key or a sequence dash (`name: {{ ... }}`, `- {{ ... }}`,
  /// unquoted). Only such an action explains why a file does not parse: a manifest whose
  /// placeholders sit inside strings keeps libyaml's own error.
  let structural: Int?

  /// The actions of `bytes`, or nil when it holds none (one memchr pass for almost every file).
  init?(_ bytes: [UInt8]) {
    var first: Int?
    var helm: Int?
    var structural: Int?
    var i = 0
    let end = bytes.count
    while helm == nil, let open = bytes.templateOpen(from: i, to: end) {
      // The closing `}}`: when there is none, no later `{{` has one either.
      guard let close = bytes.templateClose(from: open + 2, to: end) else { break }
      if first == nil { first = open }
      if structural == nil && TemplateActions.isStructural(bytes, open) { structural = open }
      if TemplateActions.isHelm(bytes, open + 2..<close) { helm = open }
      i = close + 2
    }
    guard let first else { return nil }
    self.first = first
    self.helm = helm
    self.structural = structural
  }

  /// Whether the `{{` at `open` has only blanks before it on its line, or a `:` or `-` then blanks.
  static func isStructural(_ bytes: [UInt8], _ open: Int) -> Bool {
    var i = open
    while i > 0 && (bytes[i - 1] == UInt8(ascii: " ") || bytes[i - 1] == UInt8(ascii: "\t")) { i -= 1 }
    guard i > 0 else { return true }
    let previous = bytes[i - 1]
    if previous == UInt8(ascii: "\n") || previous == UInt8(ascii: "\r") { return true }
    return i < open && (previous == UInt8(ascii: ":") || previous == UInt8(ascii: "-"))
  }

  static let helmObjects: [[UInt8]] = ["Values", "Release", "Chart", "Capabilities", "Template", "Files"].map { Array($0.utf8) }
  static let helmFunctions: [[UInt8]] = ["include", "tpl", "required", "lookup"].map { Array($0.utf8) }

  /// Whether the action text `range` (between `{{` and `}}`) names a Helm built-in object or
  /// calls a Helm function (string literals inside the action are skipped).
  static func isHelm(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
    var i = range.lowerBound
    while i < range.upperBound {
      let byte = bytes[i]
      if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "`") {
        var j = i + 1
        while j < range.upperBound && bytes[j] != byte {
          j += byte == UInt8(ascii: "\"") && bytes[j] == UInt8(ascii: "\\") ? 2 : 1
        }
        i = j + 1
        continue
      }
      guard byte.isIdentifier else {
        i += 1
        continue
      }
      var j = i
      while j < range.upperBound && bytes[j].isIdentifier { j += 1 }
      let previous = i > range.lowerBound ? bytes[i - 1] : UInt8(ascii: " ")
      let word = bytes[i..<j]
      if previous == UInt8(ascii: ".") {
        if helmObjects.contains(where: { word.elementsEqual($0) }) { return true }
      } else if previous != UInt8(ascii: "$") && helmFunctions.contains(where: { word.elementsEqual($0) }) {
        return true
      }
      i = j
    }
    return false
  }

  /// Whether a `{{ ... }}` in a plain scalar reads Go template data the way a template of any
  /// program does (`.Field`, `$.Field`, `.`, a trim marker, a control keyword) rather than being a
  /// placeholder another tool expands (`{{ $value }}`, `{{inputs.parameters.x}}`, `{{instance}}`).
  static func isGoTemplate(_ bytes: some Collection<UInt8>) -> Bool {
    let text = Array(bytes)
    var i = 0
    while let open = text.templateOpen(from: i, to: text.count) {
      guard let close = text.templateClose(from: open + 2, to: text.count) else { return false }
      var start = open + 2
      var stop = close
      if start < stop && text[start] == UInt8(ascii: "-") { return true }
      if start < stop && text[stop - 1] == UInt8(ascii: "-") { return true }
      while start < stop && (text[start] == UInt8(ascii: " ") || text[start] == UInt8(ascii: "\t")) { start += 1 }
      while stop > start && (text[stop - 1] == UInt8(ascii: " ") || text[stop - 1] == UInt8(ascii: "\t")) { stop -= 1 }
      let action = text[start..<stop]
      if action.first == UInt8(ascii: ".") || action.starts(with: "$.".utf8) { return true }
      let word = action.prefix { $0.isIdentifier }
      if ["if", "else", "range", "with", "end", "define", "template", "block"].contains(where: { word.elementsEqual($0.utf8) }) {
        return true
      }
      i = close + 2
    }
    return false
  }
}

extension Array where Element == UInt8 {
  /// The offset of the next `{{` in `start..<end`.
  func templateOpen(from start: Int, to end: Int) -> Int? { doubled(UInt8(ascii: "{"), from: start, to: end) }

  /// The offset of the next `}}` in `start..<end`.
  func templateClose(from start: Int, to end: Int) -> Int? { doubled(UInt8(ascii: "}"), from: start, to: end) }

  /// The offset of the next `byte` followed by itself in `start..<end` (memchr from one to the next).
  private func doubled(_ byte: UInt8, from start: Int, to end: Int) -> Int? {
    var i = start
    while let found = fastIndex(of: byte, from: i, to: end - 1) {
      if self[found + 1] == byte { return found }
      i = found + 1
    }
    return nil
  }
}

extension UInt8 {
  fileprivate var isIdentifier: Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
      || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || self == UInt8(ascii: "_")
  }
}
