import Foundation
import KubeHarden
import YAMLSource

/// `kubeharden fix|diff|check CHART_DIR`: a chart checked on what it renders with its default
/// values and fixed in its own top-level `values.yaml`.
///
/// Each workload a template renders becomes an ordinary manifest (`TemplateRenderer`) that the
/// ordinary passes check; each requirement of their drafts that falls in a block filled from
/// values becomes a requirement on `values.yaml` at that values path, planned there by the
/// ordinary planner (lossless edits, the same checks before writing). What a template writes
/// itself, or what the reader cannot follow, is a `manual` finding at the template's line.
/// Templates are never edited.
public enum ChartProcessor {
  /// Whether `directory` holds a chart (`Chart.yaml`).
  public static func isChart(_ directory: String) -> Bool {
    FileManager.default.fileExists(atPath: directory + "/Chart.yaml")
  }

  /// Reports for a chart: one for its `values.yaml` (its edits and the findings located there),
  /// one per template file with findings located in it. `valuesBytes`: the values file as the
  /// caller read it.
  public static func process(directory: String, valuesBytes: [UInt8]?, configuration: Configuration) -> [FileReport] {
    let directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
    let chart: ChartFolder
    do {
      chart = try ChartReader.read(directory, valuesBytes: valuesBytes)
    } catch {
      return [FileReport(path: error.path, original: valuesBytes ?? [], error: error.error)]
    }
    var session = ChartSession(chart: chart, configuration: configuration)
    return session.run()
  }
}

/// One run over a chart and its subcharts.
struct ChartSession {
  let chart: ChartFolder
  let pipeline: Pipeline
  /// Template files by index: (report path, display path relative to the top chart, bytes).
  var files: [(path: String, display: String, bytes: [UInt8])] = []
  var defines: [String: [TemplateNode]] = [:]
  /// Findings located in template files, by file index.
  var templateFindings: [Int: [Finding]] = [:]
  var valuesDrafts: [PassDraft] = []
  /// What each values draft wants, for the check that two workloads agree: path → value.
  var wanted: [[String]: (value: NewValue, draft: Int)] = [:]
  /// Drafts that want a value another draft wants different, with what they disagree on.
  var conflicted: [Int: String] = [:]
  var lineTables: [Int: LineTable] = [:]

  init(chart: ChartFolder, configuration: Configuration) {
    self.chart = chart
    var pipeline = Pipeline(configuration: configuration)
    pipeline.keepFindings = true
    self.pipeline = pipeline
  }

  var valuesDocument: Document? { chart.values.document }

  mutating func run() -> [FileReport] {
    // Every chart's templates, parsed once; `define`s are global across the chart and its
    // subcharts, as in Helm.
    var parsed: [(chart: ChartFolder, scope: ValuesScope, file: Int, template: ParsedTemplate?)] = []
    var charts: [(ChartFolder, [String])] = []
    // Subcharts under their values key (the dependency's alias, else the name), skipped when
    // the dependency's `condition` is false in the parent's values, as Helm does
    // (https://helm.sh/docs/topics/charts/#tags-and-condition-fields-in-dependencies: "the first
    // valid path found is used"; "if the path does not exist, the condition has no effect").
    func walk(_ folder: ChartFolder, _ prefix: [String]) {
      charts.append((folder, prefix))
      let parentScope = makeScope(folder, prefix: prefix)
      for sub in folder.subcharts {
        let dependency = folder.dependencies[sub.name]
        if let condition = dependency?.condition.first(where: { parentScope.node($0) != nil }),
          let (layer, node) = parentScope.node(condition), layer.document.bool(node) == false
        {
          continue
        }
        walk(sub, prefix + [dependency?.key ?? sub.name])
      }
    }
    walk(chart, [])
    for (folder, prefix) in charts {
      let scope = makeScope(folder, prefix: prefix)
      for (relative, bytes) in folder.templates {
        let path = folder.directory + "/" + relative
        let display = String(path.dropFirst(chart.directory.count + 1))
        let index = files.count
        files.append((path, display, bytes))
        do {
          let template = try TemplateParser.parse(bytes, file: index)
          defines.merge(template.defines) { _, new in new }
          parsed.append((folder, scope, index, template))
        } catch {
          if ChartReader.rendersManifest(relative) || relative.hasSuffix(".tpl") {
            addTemplateFinding(
              file: index, offset: error.offset, passID: ChartDiagnostics.id,
              message: "kubeharden cannot read this template (\(error.message)); its workloads are not checked",
              status: .unfixable(reason: "render the chart and check its output"))
          }
          parsed.append((folder, scope, index, nil))
        }
      }
      for packaged in folder.packagedSubcharts {
        addTemplateNote(
          folder: folder, relative: packaged,
          message:
            "packaged subchart \(packaged) is not read: its templates and defaults are not checked")
      }
    }
    for item in parsed {
      guard let template = item.template else { continue }
      let relative = String(files[item.file].path.dropFirst(item.chart.directory.count + 1))
      guard ChartReader.rendersManifest(relative), !item.chart.isLibrary else { continue }
      renderAndCheck(template, chart: item.chart, scope: item.scope, file: item.file)
    }
    return reports()
  }

  func makeScope(_ folder: ChartFolder, prefix: [String]) -> ValuesScope {
    var layers: [ValuesScope.Layer] = []
    if let document = chart.values.document, let root = document.root {
      layers.append(ValuesScope.Layer(document: document, editor: MappingEditor(document), root: root, prefix: prefix))
    }
    if !prefix.isEmpty, let document = folder.values.document, let root = document.root {
      layers.append(ValuesScope.Layer(document: document, editor: MappingEditor(document), root: root, prefix: []))
    }
    return ValuesScope(layers: layers, editPrefix: prefix)
  }

  // MARK: Rendering and checking

  mutating func renderAndCheck(_ template: ParsedTemplate, chart folder: ChartFolder, scope: ValuesScope, file: Int) {
    let renderer = TemplateRenderer(
      scope: scope, defines: defines, files: files.map(\.bytes), chartName: folder.name, chartVersion: folder.version,
      appVersion: folder.appVersion)
    let rendered = renderer.render(template.nodes, dot: .root)
    for piece in ChartSession.splitManifests(rendered.bytes) {
      let bytes = Array(rendered.bytes[piece])
      guard bytes.contains(where: { !TemplateParser.isSpace($0) }) else { continue }
      let documents: [Document]
      do {
        documents = try YAMLParser.parse(SourceBuffer(bytes))
      } catch {
        // Only worth saying for what looks like a workload.
        if ChartSession.mentionsWorkload(bytes) {
          let offset = templateLocation(rendered, piece.lowerBound + min(bytes.count, max(0, error.offsetHint(bytes))))
          addTemplateFinding(
            file: offset?.file ?? file, offset: offset?.offset ?? 0, passID: ChartDiagnostics.id,
            message:
              "kubeharden cannot follow what this template renders (\(error.message)); its workload is not checked: render the chart and check the output"
          )
        }
        continue
      }
      for document in documents {
        check(document, rendered: rendered, base: piece.lowerBound, scope: scope, file: file)
      }
    }
  }

  /// Helm's split of a rendered template into manifests: `releaseutil.SplitManifests`, regex
  /// `(?:^|\s*\n)---\s*` (https://github.com/helm/helm/blob/main/pkg/release/v1/util/manifest.go).
  static func splitManifests(_ bytes: [UInt8]) -> [Range<Int>] {
    var pieces: [Range<Int>] = []
    var start = 0
    var lineStart = 0
    var i = 0
    let n = bytes.count
    while i <= n {
      if i == lineStart, i + 3 <= n, bytes[i] == 0x2D, bytes[i + 1] == 0x2D, bytes[i + 2] == 0x2D {
        pieces.append(start..<i)
        var j = i + 3
        while j < n && TemplateParser.isSpace(bytes[j]) { j += 1 }
        start = j
        i = j
        lineStart = (j > 0 && bytes[j - 1] == 0x0A) ? j : -1
        continue
      }
      if i < n && bytes[i] == 0x0A { lineStart = i + 1 }
      i += 1
    }
    if start < n { pieces.append(start..<n) }
    return pieces
  }

  static func mentionsWorkload(_ bytes: [UInt8]) -> Bool {
    let text = String(decoding: bytes, as: UTF8.self)
    return PodTemplatePath.builtIn.keys.contains { text.contains("kind: \($0)\n") }
  }

  /// Runs the passes on one rendered manifest and maps each draft to values or to a template line.
  mutating func check(_ document: Document, rendered: RenderedText, base: Int, scope: ValuesScope, file: Int) {
    let (pods, drafts) = pipeline.podDrafts(in: document)
    guard !pods.isEmpty else { return }
    let bindings = Bindings(document: document, rendered: rendered, base: base)
    let editor = MappingEditor(document)
    for item in drafts {
      let pod = pods[item.pod]
      let name = pod.name.map { $0.isEmpty ? "" : " '\($0)'" } ?? ""
      let workload = "\(pod.kind)\(name) rendered from \(files[file].display)"
      mapDraft(item, workload: workload, editor: editor, bindings: bindings, rendered: rendered, base: base, scope: scope, file: file)
    }
  }

  mutating func mapDraft(
    _ item: PassDraft, workload: String, editor: MappingEditor, bindings: Bindings, rendered: RenderedText, base: Int,
    scope: ValuesScope, file: Int
  ) {
    let document = editor.document
    let draft = item.draft
    // Positions of other nodes (`hostNetwork: true at 12:3`) are positions in the rendered
    // manifest, which no file holds: the passes print them as `?` here (no line table), and
    // they are left out.
    let message = draft.message.replacingOccurrences(of: " at ?", with: "")
    func templateFinding(_ node: NodeID, status: FindingStatus) {
      let location = templateLocation(rendered, base + document.range(node).lowerBound)
      addTemplateFinding(
        file: location?.file ?? file, offset: location?.offset ?? 0, passID: item.passID, message: "\(message) (\(workload))",
        status: status, severity: draft.severity ?? item.severity)
    }
    guard draft.status.isFixable, !draft.requirements.isEmpty else {
      // Not fixable (manual, exempted): located where its node came from.
      if let path = bindings.valuesPath(of: draft.node), let valuesNode = valuesNode(scope.editPrefix + path) {
        var moved = relabeled(draft, message: "\(message) (\(workload))")
        moved.node = valuesNode
        valuesDrafts.append(PassDraft(passID: item.passID, severity: item.severity, draft: moved, pod: item.pod))
      } else {
        templateFinding(draft.node, status: draft.status)
      }
      return
    }
    guard let valuesDocument, let root = valuesDocument.root, valuesDocument.isMapping(root) else {
      templateFinding(draft.node, status: .unfixable(reason: "the chart has no values.yaml mapping to write the fix in"))
      return
    }
    var requirements: [Requirement] = []
    // What the template writes itself, or the schema forbids: said all at once, at the
    // template line of the first.
    var unbound: [(node: NodeID, text: String)] = []
    var forbidden: [(node: NodeID, key: String, text: String)] = []
    for requirement in draft.requirements {
      let what =
        requirement.kind == .remove
        ? "remove \(ChartSession.flow(requirement.value)) from '\(requirement.path.joined(separator: "."))'"
        : ChartSession.describe(requirement.path, requirement.value)
      let text = "\(what) \(ChartSession.context(document, requirement.base))"
      guard let path = bindings.valuesPath(requirement, editor: editor) else {
        unbound.append((bindings.deepestNode(requirement, editor: editor), text))
        continue
      }
      let target = scope.editPrefix + path
      if let key = chart.schema?.forbiddenKey(in: target), !valueExists(target) {
        forbidden.append((bindings.deepestNode(requirement, editor: editor), key.joined(separator: "."), text))
        continue
      }
      // Same value, same kind (a removal stays a removal), rebased on values.yaml.
      requirements.append(Requirement(base: root, path: target, value: requirement.value, kind: requirement.kind))
    }
    if let first = unbound.first {
      templateFinding(
        first.node,
        status: .unfixable(
          reason: "no value fills this; write it in the template: \(unbound.map(\.text).joined(separator: ", "))"))
      return
    }
    if let first = forbidden.first {
      let keys = Array(Set(forbidden.map(\.key))).sorted().map { "'\($0)'" }.joined(separator: ", ")
      templateFinding(
        first.node,
        status: .unfixable(
          reason:
            "values.schema.json does not allow \(keys) in values.yaml; write \(forbidden.map(\.text).joined(separator: ", ")) in the template, or extend the schema"
        ))
      return
    }
    var moved = relabeled(draft, message: "\(message) (\(workload))")
    moved.requirements = requirements
    moved.node = valuesNode(requirements.first?.path ?? []) ?? root
    let index = valuesDrafts.count
    for requirement in requirements {
      switch requirement.value {
      case .bool, .int, .string:
        if let earlier = wanted[requirement.path], earlier.value != requirement.value {
          let what =
            "'\(requirement.path.joined(separator: "."))' (\(ChartSession.flow(earlier.value)) for one, \(ChartSession.flow(requirement.value)) for another)"
          conflicted[index] = what
          conflicted[earlier.draft] = what
        } else if wanted[requirement.path] == nil {
          wanted[requirement.path] = (requirement.value, index)
        }
      default: continue
      }
    }
    valuesDrafts.append(PassDraft(passID: item.passID, severity: item.severity, draft: moved, pod: item.pod))
  }

  func relabeled(_ draft: Draft, message: String) -> Draft {
    let title = draft.fixTitle
    return Draft(
      message: message, node: draft.node, status: draft.status, requirements: draft.requirements, fixTitle: title,
      severity: draft.severity, applicability: draft.applicability)
  }

  func valueExists(_ path: [String]) -> Bool {
    guard let document = valuesDocument, let root = document.root else { return false }
    return MappingEditor(document).value(at: path, in: root) != nil
  }

  /// The deepest existing node of the values file along `path` (a key where one exists).
  func valuesNode(_ path: [String]) -> NodeID? {
    guard let document = valuesDocument, let root = document.root else { return nil }
    let editor = MappingEditor(document)
    var node = root
    var located = root
    for key in path {
      guard document.isMapping(node), let found = editor.lookup(node, key), found.isLocal else { break }
      located = found.key
      node = document.resolved(found.value)
    }
    return located
  }

  /// `securityContext.runAsNonRoot: true`, for messages.
  static func describe(_ path: [String], _ value: NewValue) -> String {
    "'\(path.joined(separator: ".")): \(flow(value))'"
  }

  static func flow(_ value: NewValue) -> String {
    switch value {
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .string(let s): return ScalarRendering.isPlainSafe(s, flow: true) ? s : ValuesScope.quoted(s)
    case .mapping(let entries):
      return "{" + entries.map { "\(ValuesScope.flowKey($0.key)): \(flow($0.value))" }.joined(separator: ", ") + "}"
    case .sequence(let items): return "[" + items.map(flow).joined(separator: ", ") + "]"
    }
  }

  /// `container 'web'` or `the pod spec`, for messages.
  static func context(_ document: Document, _ base: NodeID) -> String {
    if let parent = document.parent(base), document.isSequence(parent) {
      let name = MappingEditor(document).value(at: ["name"], in: base).flatMap { document.string($0) } ?? "?"
      return "in container '\(name)'"
    }
    return "in the pod spec"
  }

  // MARK: Locations and reports

  /// The template file and offset that rendered output offset `offset` came from.
  func templateLocation(_ rendered: RenderedText, _ offset: Int) -> (file: Int, offset: Int)? {
    var best: RenderedText.Origin?
    for origin in rendered.origins where origin.start <= offset {
      if best == nil || origin.start >= best!.start { best = origin }
    }
    guard let origin = best else { return nil }
    // Lines after the origin's start: the same number of lines further in the template.
    let newlines = rendered.bytes[origin.start..<min(offset, rendered.bytes.count)].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    let bytes = files[origin.file].bytes
    var position = origin.offset
    var remaining = newlines
    while remaining > 0, let next = bytes[position...].firstIndex(of: 0x0A) {
      position = next + 1
      remaining -= 1
    }
    // Point at the first non-blank byte of that line.
    while position < bytes.count && (bytes[position] == 0x20 || bytes[position] == 0x09) { position += 1 }
    return (origin.file, min(position, bytes.count))
  }

  mutating func lineTable(_ file: Int) -> LineTable {
    if let table = lineTables[file] { return table }
    let table = LineTable(SourceBuffer(files[file].bytes))
    lineTables[file] = table
    return table
  }

  mutating func addTemplateFinding(
    file: Int, offset: Int, passID: String, message: String, status: FindingStatus? = nil, severity: Severity = .warning
  ) {
    let bytes = files[file].bytes
    let start = min(offset, bytes.count)
    var end = start
    while end < bytes.count && bytes[end] != 0x0A && bytes[end] != 0x0D { end += 1 }
    let table = lineTable(file)
    let finding = Finding(
      passID: passID, severity: severity, message: message, range: start..<end, start: table.location(of: start),
      end: table.location(of: end), status: status ?? .unfixable(reason: message), fix: nil)
    templateFindings[file, default: []].append(finding)
  }

  mutating func addTemplateNote(folder: ChartFolder, relative: String, message: String) {
    let path = folder.directory + "/" + relative
    let index = files.count
    files.append((path, String(path.dropFirst(chart.directory.count + 1)), []))
    let location = SourceLocation(offset: 0, line: 1, column: 1)
    templateFindings[index, default: []].append(
      Finding(
        passID: ChartDiagnostics.id, severity: .note, message: message, range: 0..<0, start: location, end: location,
        status: .unfixable(reason: "unpack it into charts/ to have it checked"), fix: nil))
  }

  mutating func reports() -> [FileReport] {
    var reports: [FileReport] = []
    let values = chart.values
    for (index, what) in conflicted.sorted(by: { $0.key < $1.key }) where index < valuesDrafts.count {
      valuesDrafts[index].draft.status = .unfixable(
        reason: "the workloads that read this value need different values at \(what); set it by hand")
      valuesDrafts[index].draft.requirements = []
    }
    if let document = values.document, !valuesDrafts.isEmpty {
      let plan = pipeline.plan(valuesDrafts, in: document, lines: LineTable(document.source))
      if let problem = plan.problem {
        reports.append(FileReport(path: values.path, original: values.bytes, findings: plan.findings, counts: plan.counts, error: problem))
      } else {
        reports.append(
          FileReport(
            path: values.path, original: values.bytes, edits: plan.edits, fixed: EditSet.applying(plan.edits, to: values.bytes),
            findings: plan.findings, counts: plan.counts))
      }
    } else {
      reports.append(FileReport(path: values.path, original: values.bytes))
    }
    for (index, findings) in templateFindings.sorted(by: { $0.key < $1.key }) {
      let sorted = findings.sorted { ($0.range.lowerBound, $0.passID) < ($1.range.lowerBound, $1.passID) }
      reports.append(FileReport(path: files[index].path, original: files[index].bytes, findings: sorted))
    }
    return reports
  }
}

extension YAMLError {
  /// A byte offset near the error, from its line (1-based) in `bytes`.
  func offsetHint(_ bytes: [UInt8]) -> Int {
    var line = 1
    for (i, b) in bytes.enumerated() {
      if line >= self.line { return i }
      if b == 0x0A { line += 1 }
    }
    return 0
  }
}
