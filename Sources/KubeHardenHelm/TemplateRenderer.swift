/// What a template renders with the chart's default values, as far as kubeharden follows it,
/// and where each part of the output came from.
///
/// Not Helm: a subset of Go templates and Sprig, enough to see the structure of a workload and
/// which values fill its `securityContext` and `resources`. What it cannot evaluate renders as
/// a placeholder scalar (`x`) or, for a condition, takes the first branch; values that it
/// places (`toYaml .Values.x`, `{{ .Values.x }}`) are recorded as `Chunk`s, so that a field of
/// the synthetic manifest maps back to the values path it came from. Everything else that the
/// passes judge but no value fills (literal YAML of the template) maps back to its template line.
struct RenderedText: Sendable {
  /// Where values were placed.
  struct Chunk: Sendable {
    enum Kind: Sendable {
      /// `key: value` of a mapping placed by `toYaml` (path: the entry's value).
      case entry
      /// A whole value in flow style (an empty map `{}`, a list, a scalar from `toYaml`).
      case node
      /// A scalar printed by `{{ .Values.x }}`.
      case scalar
      /// Where an empty list from values would continue a block list written before it (zero
      /// width; `column` is where its items would start).
      case listTail
    }
    var range: Range<Int>
    var path: [String]
    var kind: Kind
    var column = 0
  }
  /// Where template text was copied from: output offset `start` is template file `file`'s offset `offset`.
  struct Origin: Sendable {
    var start: Int
    var file: Int
    var offset: Int
  }
  var bytes: [UInt8] = []
  var chunks: [Chunk] = []
  var origins: [Origin] = []
  /// The text is `toYaml` of an empty value (`{}`, `null`), possibly indented.
  var isEmptyValue = false

  init() {}
  init(_ text: String) { bytes = Array(text.utf8) }

  mutating func append(_ other: RenderedText) {
    let base = bytes.count
    bytes += other.bytes
    chunks += other.chunks.map {
      Chunk(range: ($0.range.lowerBound + base)..<($0.range.upperBound + base), path: $0.path, kind: $0.kind, column: $0.column)
    }
    origins += other.origins.map { Origin(start: $0.start + base, file: $0.file, offset: $0.offset) }
  }

  /// Sprig's `indent N` (every line prefixed by N spaces) or `nindent N` (the same after a line
  /// break): `pad + strings.Replace(v, "\n", "\n"+pad, -1)`, as in
  /// https://github.com/Masterminds/sprig/blob/master/strings.go (`indent`, `nindent`).
  func indented(_ n: Int, newline: Bool) -> RenderedText {
    let pad = [UInt8](repeating: 0x20, count: max(0, n))
    var out = RenderedText()
    if newline { out.bytes.append(0x0A) }
    out.bytes += pad
    var map = [Int](repeating: 0, count: bytes.count + 1)
    for (i, b) in bytes.enumerated() {
      map[i] = out.bytes.count
      out.bytes.append(b)
      if b == 0x0A { out.bytes += pad }
    }
    map[bytes.count] = out.bytes.count
    out.chunks = chunks.map {
      Chunk(
        range: map[$0.range.lowerBound]..<map[$0.range.upperBound], path: $0.path, kind: $0.kind,
        column: $0.column + (n > 0 && $0.kind == .listTail ? n : 0))
    }
    out.origins = origins.map { Origin(start: map[$0.start], file: $0.file, offset: $0.offset) }
    out.isEmptyValue = isEmptyValue
    return out
  }

  var text: String { String(decoding: bytes, as: UTF8.self) }

  /// Without white space at either end (Sprig's `trim`).
  func trimmed() -> RenderedText {
    var start = 0
    var end = bytes.count
    while start < end && TemplateParser.isSpace(bytes[start]) { start += 1 }
    while end > start && TemplateParser.isSpace(bytes[end - 1]) { end -= 1 }
    var out = RenderedText()
    out.bytes = Array(bytes[start..<end])
    func clamp(_ i: Int) -> Int { min(max(i, start), end) - start }
    out.chunks = chunks.map {
      Chunk(range: clamp($0.range.lowerBound)..<clamp($0.range.upperBound), path: $0.path, kind: $0.kind, column: $0.column)
    }
    out.origins = origins.map { Origin(start: clamp($0.start), file: $0.file, offset: $0.offset) }
    out.isEmptyValue = isEmptyValue
    return out
  }

  /// Without leading blank lines and without the indentation all its lines share (what
  /// `fromYaml | toYaml` makes of a block).
  func dedented() -> RenderedText {
    var lines: [Range<Int>] = []
    var start = 0
    for (i, b) in bytes.enumerated() where b == 0x0A {
      lines.append(start..<i)
      start = i + 1
    }
    lines.append(start..<bytes.count)
    func indentation(_ line: Range<Int>) -> Int? {
      var i = line.lowerBound
      while i < line.upperBound && bytes[i] == 0x20 { i += 1 }
      return i < line.upperBound ? i - line.lowerBound : nil
    }
    let common = lines.compactMap(indentation).min() ?? 0
    var out = RenderedText()
    var map = [Int](repeating: 0, count: bytes.count + 1)
    var started = false
    for line in lines {
      let content = indentation(line)
      if !started && content == nil {
        for i in line { map[i] = 0 }
        if line.upperBound < bytes.count { map[line.upperBound] = 0 }
        continue
      }
      if started { out.bytes.append(0x0A) }
      started = true
      let drop = min(common, content ?? (line.upperBound - line.lowerBound))
      for i in line.lowerBound..<(line.lowerBound + drop) { map[i] = out.bytes.count }
      for i in (line.lowerBound + drop)..<line.upperBound {
        map[i] = out.bytes.count
        out.bytes.append(bytes[i])
      }
      if line.upperBound <= bytes.count { map[line.upperBound] = out.bytes.count }
    }
    map[bytes.count] = out.bytes.count
    out.chunks = chunks.map {
      Chunk(
        range: map[$0.range.lowerBound]..<max(map[$0.range.lowerBound], map[$0.range.upperBound]), path: $0.path, kind: $0.kind,
        column: max(0, $0.column - common))
    }
    out.origins = origins.map { Origin(start: map[$0.start], file: $0.file, offset: $0.offset) }
    return out
  }

  /// Removes the white space at the end (and origins that pointed into it).
  mutating func dropTrailingSpaces() {
    while let last = bytes.last, TemplateParser.isSpace(last) { bytes.removeLast() }
    let count = bytes.count
    origins.removeAll { $0.start > count }
    // A value that ended in white space (a quoted scalar) loses it with the text.
    chunks = chunks.compactMap { chunk in
      guard chunk.range.lowerBound < count else { return nil }
      var chunk = chunk
      chunk.range = chunk.range.lowerBound..<min(chunk.range.upperBound, count)
      return chunk
    }
  }

  /// Whether the text so far ends with a mapping key (`key:`), spaces and line breaks aside.
  var endsWithKey: Bool {
    var i = bytes.count - 1
    while i >= 0 && TemplateParser.isSpace(bytes[i]) { i -= 1 }
    return i >= 0 && bytes[i] == UInt8(ascii: ":")
  }

  /// Whether the last line so far holds anything but spaces (false also when no line break
  /// was written yet and nothing else was: the start of a helper's output).
  var lineHasContent: Bool {
    var i = bytes.count - 1
    while i >= 0 && bytes[i] != 0x0A {
      if bytes[i] != 0x20 && bytes[i] != 0x09 { return true }
      i -= 1
    }
    return false
  }
}

/// The value of a template expression, as far as it is known.
enum TemplateValue: Sendable {
  /// A values path of the chart being rendered (`.Values.a.b` is `["a", "b"]`).
  case values([String])
  /// Rendered text (a string literal, an include, `toYaml`).
  case text(RenderedText)
  case bool(Bool)
  /// The root context `$` (and `.` at the top of a template).
  case root
  case unknown
}

/// Renders templates of one chart with its default values.
struct TemplateRenderer {
  let scope: ValuesScope
  let defines: [String: [TemplateNode]]
  /// Template file bytes by file index (for text nodes).
  let files: [[UInt8]]
  let chartName: String
  let chartVersion: String
  let appVersion: String
  /// Release name and namespace used for rendering (as the corpus renders: `rel`, `default`).
  var releaseName = "rel"
  var namespace = "default"

  final class State {
    var variables: [String: TemplateValue] = [:]
    /// Nesting of renders (includes) and of expressions, each bounded.
    var depth = 0
    var expressionDepth = 0
  }
  let state = State()

  /// Placeholder for what is not evaluated: a plain scalar that is no number, boolean or null.
  static let placeholder = "x"

  /// Whether a value prints as the placeholder.
  static func isPlaceholder(_ value: TemplateValue, scope: ValuesScope) -> Bool {
    switch value {
    case .unknown, .root: return true
    case .values(let path): return scope.scalarText(path) == nil && scope.node(path) != nil
    default: return false
    }
  }

  func render(_ nodes: [TemplateNode], dot: TemplateValue) -> RenderedText {
    var out = RenderedText()
    render(nodes, dot: dot, into: &out)
    return out
  }

  /// Renders into `out`; branches render into the same buffer, so that what they write can
  /// see the line it continues.
  func render(_ nodes: [TemplateNode], dot: TemplateValue, into out: inout RenderedText) {
    state.depth += 1
    defer { state.depth -= 1 }
    guard state.depth < 40 else { return }  // recursive helpers
    for node in nodes {
      switch node {
      case .text(let file, let range):
        out.origins.append(RenderedText.Origin(start: out.bytes.count, file: file, offset: range.lowerBound))
        out.bytes += files[file][range]
      case .action(let body, _, _):
        if let assignment = assignment(body) {
          state.variables[assignment.name] = evaluate(assignment.expression, dot: dot)
          continue
        }
        let value = evaluate(body, dot: dot)
        if TemplateRenderer.isPlaceholder(value, scope: scope) && !out.lineHasContent {
          // Unknown output at the start of a line (a helper's labels, a list from values):
          // a comment, so the manifest around it still reads as YAML.
          out.bytes += Array("#\(TemplateRenderer.placeholder)".utf8)
          continue
        }
        let text = text(of: value)
        // An empty value (`{}`, null) written where no key precedes it (merged into the
        // mapping around it) renders nothing; after a key it is that key's empty value.
        if text.isEmptyValue {
          guard out.endsWithKey else {
            // `- item` lines written, then `toYaml` of an empty list: its items would follow them.
            if text.bytes.last == UInt8(ascii: "]"), let chunk = text.chunks.first {
              let column = text.bytes.count - 2 - ((text.bytes.lastIndex(of: 0x0A) ?? -1) + 1)
              out.chunks.append(
                RenderedText.Chunk(range: out.bytes.count..<out.bytes.count, path: chunk.path, kind: .listTail, column: column))
            }
            continue
          }
          // On the key's line (`key: {}`): on a line of its own it may sit at the key's
          // column, where a flow value does not parse.
          out.dropTrailingSpaces()
          out.bytes.append(0x20)
          out.append(text.trimmed())
          continue
        }
        out.append(text)
      case .branches(let kind, let conditions, let elseBody, _, _):
        var taken = false
        for (condition, body) in conditions {
          let value = evaluate(condition, dot: dot)
          let truth = self.truth(value)
          // A block guarded by the very value it writes with `toYaml` (`with .Values.x` +
          // `toYaml .`, `if .Values.x` + `toYaml .Values.x`) and empty today renders once that
          // value is filled: render it, so that the block is there to fill.
          // Only where nothing else renders when it is empty: filling a value that chooses
          // between branches would drop what the other branch writes.
          let fillable =
            truth == false && conditions.count == 1 && elseBody.isEmpty
            && guardsItsOwnValue(condition, kind: kind, body: body, dot: dot)
          if truth == true || truth == nil || fillable {
            var innerDot = dot
            if kind == .withBlock { innerDot = value }
            render(body, dot: innerDot, into: &out)
            taken = true
            break
          }
        }
        if !taken { render(elseBody, dot: dot, into: &out) }
      case .range:
        continue  // lists built from values (env, args, extra containers): not followed
      }
    }
  }

  /// `$name := expr` or `$name = expr`.
  func assignment(_ body: String) -> (name: String, expression: String)? {
    guard body.hasPrefix("$") else { return nil }
    let parts = body.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
    guard parts.count == 3, parts[1] == ":=" || parts[1] == "=" else { return nil }
    return (String(parts[0]), String(parts[2]))
  }

  /// Whether a false condition is a values path (or an `or` / `and` of paths) whose empty map
  /// the block itself writes with `toYaml`.
  func guardsItsOwnValue(_ condition: String, kind: BranchKind, body: [TemplateNode], dot: TemplateValue) -> Bool {
    var paths: [[String]] = []
    var words = TemplateExpression.words(condition)
    if words.first == "or" || words.first == "and" { words.removeFirst() }
    for word in words {
      guard case .values(let path) = evaluate(word, dot: dot) else { return false }
      paths.append(path)
    }
    guard !paths.isEmpty, paths.contains(where: { scope.isEmptyMapOrMissing($0) }) else { return false }
    return TemplateRenderer.writes(body) { action in
      var words = TemplateExpression.words(action)
      if words.first == "-" { words.removeFirst() }
      guard let at = words.firstIndex(of: "toYaml"), at + 1 < words.count else { return false }
      let argument = words[at + 1]
      if kind == .withBlock && argument == "." { return true }
      guard case .values(let path) = evaluate(argument, dot: dot) else { return false }
      return paths.contains(path)
    }
  }

  static func writes(_ nodes: [TemplateNode], _ predicate: (String) -> Bool) -> Bool {
    for node in nodes {
      switch node {
      case .action(let body, _, _): if predicate(body) { return true }
      case .branches(_, let conditions, let elseBody, _, _):
        if conditions.contains(where: { writes($0.1, predicate) }) || writes(elseBody, predicate) { return true }
      case .text, .range: continue
      }
    }
    return false
  }

  /// Go-template truth, nil when unknown.
  func truth(_ value: TemplateValue) -> Bool? {
    switch value {
    case .values(let path): return scope.isTruthy(path)
    case .text(let text): return !text.bytes.isEmpty
    case .bool(let b): return b
    case .root: return true
    case .unknown: return nil
    }
  }

  /// The text a value prints as.
  func text(of value: TemplateValue) -> RenderedText {
    switch value {
    case .values(let path):
      if let scalar = scope.scalarText(path) {
        var out = RenderedText(scalar)
        out.chunks.append(RenderedText.Chunk(range: 0..<out.bytes.count, path: path, kind: .scalar))
        return out
      }
      if scope.node(path) == nil { return RenderedText("<no value>") }
      return RenderedText(TemplateRenderer.placeholder)
    case .text(let text): return text
    case .bool(let b): return RenderedText(b ? "true" : "false")
    case .root, .unknown: return RenderedText(TemplateRenderer.placeholder)
    }
  }

  /// `toYaml` of a values path: a mapping's entries one per line (`key: {flow}`), each a chunk;
  /// anything else (an empty map, a list, a scalar) one flow node.
  func toYaml(_ path: [String]) -> RenderedText {
    var out = RenderedText()
    if let keys = scope.mappingKeys(path), !keys.isEmpty {
      for (i, key) in keys.enumerated() {
        if i > 0 { out.bytes.append(0x0A) }
        let start = out.bytes.count
        out.bytes += Array((ValuesScope.flowKey(key) + ": " + scope.flowText(path + [key])).utf8)
        out.chunks.append(RenderedText.Chunk(range: start..<out.bytes.count, path: path + [key], kind: .entry))
      }
      return out
    }
    if let (layer, node) = scope.node(path), layer.document.isSequence(node), layer.document.firstChild(node) != nil {
      // A list as `toYaml` prints it: one `- item` per line (it may continue a block list).
      for (i, item) in layer.document.items(node).enumerated() {
        if i > 0 { out.bytes.append(0x0A) }
        out.bytes += Array(("- " + ValuesScope.flowText(layer.document, item, depth: 0)).utf8)
      }
      // The list as a whole (a block list starts at its first `-`): items are added to it.
      out.chunks.append(RenderedText.Chunk(range: 0..<out.bytes.count, path: path, kind: .node))
      return out
    }
    out.bytes = Array(scope.flowText(path).utf8)
    out.chunks.append(RenderedText.Chunk(range: 0..<out.bytes.count, path: path, kind: .node))
    out.isEmptyValue = out.bytes == Array("{}".utf8) || out.bytes == Array("null".utf8) || out.bytes == Array("[]".utf8)
    return out
  }

  /// Evaluates a pipeline (`a | b | c`).
  func evaluate(_ pipeline: String, dot: TemplateValue) -> TemplateValue {
    state.expressionDepth += 1
    defer { state.expressionDepth -= 1 }
    guard state.expressionDepth < 200 else { return .unknown }  // parentheses nested without end
    var value: TemplateValue?
    for command in TemplateExpression.commands(pipeline) {
      value = call(TemplateExpression.words(command), piped: value, dot: dot)
    }
    return value ?? .unknown
  }

  func argument(_ word: String, dot: TemplateValue) -> TemplateValue {
    if word.hasPrefix("(") && word.hasSuffix(")") { return evaluate(String(word.dropFirst().dropLast()), dot: dot) }
    if word.hasPrefix("(") {
      // `(expr).field`
      if let close = TemplateExpression.matchingParen(word), close < word.endIndex {
        let inner = evaluate(String(word[word.index(after: word.startIndex)..<close]), dot: dot)
        let rest = String(word[word.index(after: close)...])
        if case .values(let path) = inner, rest.hasPrefix(".") {
          return .values(path + rest.dropFirst().split(separator: ".").map(String.init))
        }
      }
      return .unknown
    }
    if word.hasPrefix("\"") && word.hasSuffix("\"") && word.count >= 2 {
      return .text(RenderedText(TemplateExpression.unquote(word)))
    }
    if word.hasPrefix("`") && word.hasSuffix("`") && word.count >= 2 { return .text(RenderedText(String(word.dropFirst().dropLast()))) }
    if word == "true" { return .bool(true) }
    if word == "false" { return .bool(false) }
    if word == "nil" { return .unknown }
    if let first = word.first, first.isNumber || first == "-" && word.count > 1 { return .text(RenderedText(word)) }
    var base: TemplateValue
    var fields: [String]
    if word == "." { return dot }
    if word == "$" { return .root }
    if word.hasPrefix("$.") {
      base = .root
      fields = word.dropFirst(2).split(separator: ".").map(String.init)
    } else if word.hasPrefix("$") {
      let parts = word.split(separator: ".").map(String.init)
      base = state.variables[parts[0]] ?? .unknown
      fields = Array(parts.dropFirst())
    } else if word.hasPrefix(".") {
      base = dot
      fields = word.dropFirst().split(separator: ".").map(String.init)
    } else if let first = word.unicodeScalars.first, first.properties.isAlphabetic || first == "_" {
      return call([word], piped: nil, dot: dot)  // a function without arguments
    } else {
      return .unknown  // an unterminated string, a stray character
    }
    return field(base, fields)
  }

  func field(_ base: TemplateValue, _ fields: [String]) -> TemplateValue {
    guard !fields.isEmpty else { return base }
    switch base {
    case .values(let path): return .values(path + fields)
    case .root:
      let rest = Array(fields.dropFirst())
      switch fields[0] {
      case "Values": return .values(rest)
      case "Chart":
        switch rest.first {
        case "Name": return .text(RenderedText(chartName))
        case "Version": return .text(RenderedText(chartVersion))
        case "AppVersion": return .text(RenderedText(appVersion))
        default: return .unknown
        }
      case "Release":
        switch rest.first {
        case "Name": return .text(RenderedText(releaseName))
        case "Namespace": return .text(RenderedText(namespace))
        case "Service": return .text(RenderedText("Helm"))
        default: return .unknown
        }
      default: return .unknown
      }
    default: return .unknown
    }
  }

  /// One command: a function and its arguments (the piped value last), or a single operand.
  func call(_ words: [String], piped: TemplateValue?, dot: TemplateValue) -> TemplateValue {
    guard let name = words.first else { return piped ?? .unknown }
    var args = words.dropFirst().map { argument($0, dot: dot) }
    if let piped { args.append(piped) }
    let isFunction = !(name.hasPrefix(".") || name.hasPrefix("$") || name.hasPrefix("(") || name.hasPrefix("\"") || name.hasPrefix("`"))
    guard isFunction else { return words.count == 1 && piped == nil ? argument(name, dot: dot) : .unknown }
    func textArg(_ v: TemplateValue) -> String? {
      switch v {
      case .text(let t): return t.text
      case .values(let path): return scope.scalarText(path)
      case .bool(let b): return b ? "true" : "false"
      default: return nil
      }
    }
    switch name {
    case "toYaml":
      // `include "x" . | fromYaml | toYaml`: the text is YAML already.
      if args.count == 1, case .text(let text) = args[0] { return .text(text) }
      guard args.count == 1, case .values(let path) = args[0] else { return .unknown }
      return .text(toYaml(path))
    case "trim":
      guard args.count == 1 else { return .unknown }
      return .text(text(of: args[0]).trimmed())
    case "fromYaml":
      // Parsing and printing again normalizes the indentation: the text, dedented.
      guard args.count == 1, case .text(let text) = args[0] else { return .unknown }
      return .text(text.dedented())
    case "include", "template":
      guard let nameArg = args.first, let defineName = textArg(nameArg), let body = defines[defineName] else { return .unknown }
      let context = args.count > 1 ? args[1] : .unknown
      let saved = state.variables
      defer { state.variables = saved }
      return .text(render(body, dot: context))
    case "tpl", "required":
      guard args.count == 2 else { return .unknown }
      return name == "tpl" ? args[0] : args[1]
    case "nindent", "indent":
      guard args.count == 2, let n = textArg(args[0]).flatMap({ Int($0) }), (0...1024).contains(n) else { return .unknown }
      // Indented blocks of unknown content (a helper's labels, a `dict` context): left out.
      if TemplateRenderer.isPlaceholder(args[1], scope: scope) { return .text(RenderedText()) }
      return .text(text(of: args[1]).indented(n, newline: name == "nindent"))
    case "quote", "squote":
      guard let last = args.last else { return .unknown }
      let inner = text(of: last)
      var out = RenderedText()
      if name == "quote" {
        // Sprig's quote is Go's `%q` (strconv.Quote): `"` and `\` escaped, control characters
        // as escapes (https://github.com/Masterminds/sprig/blob/master/strings.go, `quote`).
        let escaped = ValuesScope.quoted(inner.text)
        out.bytes = Array(escaped.utf8)
        if escaped.utf8.count != inner.bytes.count + 2 { return .text(out) }  // changed inside: no chunk
      } else {
        out.bytes = [0x27] + inner.bytes + [0x27]
      }
      if inner.chunks.count == 1, inner.chunks[0].range == 0..<inner.bytes.count {
        out.chunks = [RenderedText.Chunk(range: 0..<out.bytes.count, path: inner.chunks[0].path, kind: .scalar)]
      }
      return .text(out)
    case "default":
      guard args.count == 2 else { return .unknown }
      guard let t = truth(args[1]) else { return .unknown }
      return t ? args[1] : args[0]
    case "not":
      guard args.count == 1, let t = truth(args[0]) else { return .unknown }
      return .bool(!t)
    case "empty":
      guard args.count == 1, let t = truth(args[0]) else { return .unknown }
      return .bool(!t)
    case "and":
      for arg in args {
        guard let t = truth(arg) else { return .unknown }
        if !t { return arg }
      }
      return args.last ?? .unknown
    case "or":
      for arg in args {
        guard let t = truth(arg) else { return .unknown }
        if t { return arg }
      }
      return args.last ?? .unknown
    case "eq", "ne":
      guard args.count >= 2, let a = textArg(args[0]) else { return .unknown }
      var equal = false
      for other in args.dropFirst() {
        guard let b = textArg(other) else { return .unknown }
        if a == b { equal = true }
      }
      return .bool(name == "eq" ? equal : !equal)
    case "toString", "trunc", "trimSuffix", "trimPrefix", "int", "int64", "lower", "print":
      // Names and numbers: the text without its value chunk (the function changed it).
      guard let last = args.last, let t = textArg(last) else { return .unknown }
      if name == "trunc", let n = textArg(args[0]).flatMap({ Int($0) }) {
        // Sprig: a negative length keeps the last -n characters.
        return .text(RenderedText(String(n >= 0 ? t.prefix(n) : t.suffix(min(t.count, -max(n, -Int.max))))))
      }
      if name == "trimSuffix", let s = textArg(args[0]) { return .text(RenderedText(t.hasSuffix(s) ? String(t.dropLast(s.count)) : t)) }
      if name == "trimPrefix", let s = textArg(args[0]) { return .text(RenderedText(t.hasPrefix(s) ? String(t.dropFirst(s.count)) : t)) }
      if name == "lower" { return .text(RenderedText(t.lowercased())) }
      if name == "print" {
        let parts = args.compactMap { textArg($0) }
        return parts.count == args.count ? .text(RenderedText(parts.joined())) : .unknown
      }
      return .text(RenderedText(t))
    case "contains", "hasPrefix", "hasSuffix":
      // Sprig: `contains substr str`, `hasPrefix prefix str`, `hasSuffix suffix str`.
      guard args.count == 2, let needle = textArg(args[0]), let text = textArg(args[1]) else { return .unknown }
      let result = name == "contains" ? text.contains(needle) : name == "hasPrefix" ? text.hasPrefix(needle) : text.hasSuffix(needle)
      return .bool(needle.isEmpty ? true : result)
    case "printf":
      // `%s`, `%d` and `%v` in order; anything else is not evaluated.
      guard let format = args.first.flatMap(textArg) else { return .unknown }
      var values = args.dropFirst().makeIterator()
      var out = ""
      var percent = false
      for c in format {
        if percent {
          percent = false
          if c == "%" {
            out.append("%")
            continue
          }
          guard "sdv".contains(c), let next = values.next(), let text = textArg(next) else { return .unknown }
          out += text
        } else if c == "%" {
          percent = true
        } else {
          out.append(c)
        }
      }
      return .text(RenderedText(out))
    case "coalesce":
      for arg in args {
        guard let t = truth(arg) else { return .unknown }
        if t { return arg }
      }
      return .unknown
    case "upper":
      guard let last = args.last, let t = textArg(last) else { return .unknown }
      return .text(RenderedText(t.uppercased()))
    case "fail": return .text(RenderedText())
    default: return .unknown
    }
  }
}

/// Splitting of template expressions into commands and words.
enum TemplateExpression {
  /// `a | b (c | d) | e` → `a`, `b (c | d)`, `e`.
  static func commands(_ pipeline: String) -> [String] {
    split(pipeline, at: { $0 == "|" }).map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
  }

  /// Words of one command; a parenthesized group (with what follows its `)` up to a space) is one word.
  static func words(_ command: String) -> [String] {
    split(command, at: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }, inGroup: " ").filter { !$0.isEmpty }
  }

  /// `text` cut at the characters `isSeparator` accepts outside string literals (`"..."` with
  /// escapes, `` `...` `` raw) and parentheses; a separator inside parentheses stays, as
  /// `inGroup` when given.
  static func split(_ text: String, at isSeparator: (Character) -> Bool, inGroup: Character? = nil) -> [String] {
    var result: [String] = []
    var current = ""
    var depth = 0
    var quote: Character?
    var escaped = false
    for c in text {
      if let q = quote {
        current.append(c)
        if escaped { escaped = false } else if c == "\\" && q == "\"" { escaped = true } else if c == q { quote = nil }
        continue
      }
      switch c {
      case "\"", "`":
        quote = c
        current.append(c)
      case "(":
        depth += 1
        current.append(c)
      case ")":
        depth -= 1
        current.append(c)
      case _ where isSeparator(c):
        if depth > 0 {
          current.append(inGroup ?? c)
        } else {
          result.append(current)
          current = ""
        }
      default: current.append(c)
      }
    }
    result.append(current)
    return result
  }

  static func matchingParen(_ word: String) -> String.Index? {
    var depth = 0
    for i in word.indices {
      if word[i] == "(" { depth += 1 }
      if word[i] == ")" {
        depth -= 1
        if depth == 0 { return i }
      }
    }
    return nil
  }

  static func unquote(_ literal: String) -> String {
    var out = ""
    var escaped = false
    for c in literal.dropFirst().dropLast() {
      if escaped {
        switch c {
        case "n": out.append("\n")
        case "t": out.append("\t")
        default: out.append(c)
        }
        escaped = false
      } else if c == "\\" {
        escaped = true
      } else {
        out.append(c)
      }
    }
    return out
  }
}
