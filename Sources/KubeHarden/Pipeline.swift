import YAMLSource

/// Runs the enabled passes over one file: bytes → documents → pod specs → drafts → planned
/// edits → fixed bytes, then checks the fixed text before anyone writes it.
public struct Pipeline: Sendable {
  public var configuration: Configuration
  public var limits: ParseLimits
  /// Whether reports carry every finding (`check`, `diff`) or only their counts (`fix`, which
  /// needs the edits and a summary: on a large stream the findings would dominate memory).
  public var keepFindings: Bool
  /// Whether findings get line and column numbers here (chunks of a split file get them later,
  /// from the whole file).
  var locateFindings = true
  /// Whether reports carry their edits even when only counts are kept (the parts of a split
  /// file: the whole file's text is written from them).
  var keepEdits = false
  /// Files at least this large are processed in parts on all cores.
  public var parallelThreshold = Pipeline.defaultParallelThreshold
  /// Namespaces that a LimitRange in another input of the run covers (`NamespaceIndex`):
  /// `namespace-limit-range` adds none there.
  public var coveredNamespaces: Set<String> = []
  /// Render caches shared by every pipeline of the process, one per worker at a time (a host
  /// that runs pipelines for a long time may empty it: `removeAll()`).
  public static let renderCaches = MappingEditor.RenderCachePool()

  public init(configuration: Configuration = Configuration(), limits: ParseLimits = .default, keepFindings: Bool = true) {
    self.configuration = configuration
    self.limits = limits
    self.keepFindings = keepFindings
  }

  var passes: [(pass: any Pass, id: String, severity: Severity)] { PassRegistry.runnable.filter { configuration.isEnabled($0.id) } }

  /// Processes one file. Never throws: problems become `FileReport.error`.
  ///
  /// A large multi-document file is split at document boundaries and its parts are processed on
  /// all cores; the result is the same as processing it whole.
  public func process(path: String, bytes: [UInt8]) -> FileReport {
    var report = processOnce(path: path, bytes: bytes)
    // A LimitRange after its Namespace in the same file: once more, knowing it (rare; the first
    // run's texts are freed first, so a large stream's peak memory stays that of one run).
    let covered = report.namespaces.coveredInFile
    guard !covered.isEmpty, report.error == nil else { return report }
    report = FileReport(path: path, original: [])
    var again = self
    again.coveredNamespaces.formUnion(covered)
    return again.processOnce(path: path, bytes: bytes)
  }

  func processOnce(path: String, bytes: [UInt8]) -> FileReport {
    if bytes.count >= parallelThreshold, let report = processInParallel(path: path, bytes: bytes) {
      return report
    }
    return processWhole(path: path, bytes: bytes)
  }

  func processWhole(path: String, bytes: [UInt8]) -> FileReport {
    let source = SourceBuffer(bytes)
    let analysis: Analysis
    do {
      analysis = try analyze(source)
    } catch {
      return FileReport(path: path, original: bytes, error: error)
    }
    if let problem = analysis.problem {
      return FileReport(path: path, original: bytes, findings: analysis.findings, counts: analysis.counts, error: problem)
    }
    guard !analysis.edits.isEmpty else {
      var report = FileReport(path: path, original: bytes, findings: analysis.findings, counts: analysis.counts)
      report.namespaces = analysis.namespaces
      return report
    }
    let ordered: [Edit]
    do {
      ordered = try EditSet(analysis.edits).sorted()
    } catch {
      return FileReport(
        path: path, original: bytes, findings: analysis.findings, counts: analysis.counts,
        error: FileError(message: "internal error: passes \(passIDs(analysis.counts)) produced overlapping edits; nothing was written"))
    }
    // Every edited document was checked as it was planned (`verify`). A part of a split file is
    // written by the caller from its edits: its own fixed text is not built.
    let fixed = keepEdits ? nil : EditSet.applying(ordered, to: bytes)
    var report = FileReport(
      path: path, original: bytes, edits: keepFindings || keepEdits ? ordered : [], fixed: fixed, findings: analysis.findings,
      counts: analysis.counts)
    report.namespaces = analysis.namespaces
    return report
  }

  struct Analysis {
    var findings: [Finding] = []
    var counts = FindingCounts()
    var edits: [Edit] = []
    /// The first edited document whose fixed text failed the check before writing.
    var problem: FileError?
    var namespaces = NamespaceIndex()
  }

  /// Reads, checks and plans one file.
  func analyze(_ source: SourceBuffer) throws(FileError) -> Analysis {
    var analysis = Analysis()
    let locator = WorkloadLocator(extraPaths: configuration.podTemplatePaths)
    var lines: Locations?
    let passes = self.passes
    // Template actions are looked for before the parse: a template is refused as one whether
    // or not libyaml can read it (most files hold no `{{`: one memchr pass).
    let templates = TemplateActions(source.bytes)
    if let helm = templates?.helm { throw Pipeline.templateError(at: helm, in: source) }
    // Runs when its pass does: its severity, read once per file.
    let namespaceSeverity = passes.first { $0.id == NamespaceLimitRange.id }?.severity
    do {
      // This worker's cache, for every document of the file and the files it takes next.
      try Pipeline.renderCaches.withCache { (renderCache) throws(YAMLError) in
        try YAMLParser.forEachDocument(source, limits: limits) { (document) throws(YAMLError) in
          if templates != nil { try Pipeline.rejectTemplates(document) }  // edits never write braces
          let editor = MappingEditor(document, renderCache: renderCache)
          let pods = locator.podSpecs(in: editor)
          let objects = namespaceSeverity.flatMap {
            planNamespaces(editor, severity: $0, index: &analysis.namespaces, lines: &lines, source: source)
          }
          guard !pods.isEmpty || objects != nil else { return }
          let table = locations(&lines, source)
          var drafts: [Planner.Input] = []
          drafts.reserveCapacity(16)
          let keys = pods.isEmpty ? DocumentKeys.all : DocumentKeys(document)
          for pod in pods {
            forEachDraft(of: pod, editor: editor, locations: table, keys: keys, passes: passes) { id, severity, draft in
              drafts.append(Planner.Input(passID: id, severity: severity, draft: draft))
            }
          }
          var planner = Planner(editor: editor)
          planner.applyUnsafe = configuration.unsafeFixes
          let planned = planner.plan(drafts, lines: table, keepFindings: keepFindings)
          analysis.counts.add(planned)
          if keepFindings { analysis.findings += planned.findings }
          var edits = planned.edits
          var changes = planned.changes
          if let objects {
            analysis.add(objects)
            edits += objects.edits
            changes += objects.changes
          }
          if !edits.isEmpty {
            if analysis.problem == nil {
              let ids = planned.fixable.map(\.passID) + (objects?.edits.isEmpty == false ? [NamespaceLimitRange.id] : [])
              analysis.problem = verify(document, edits: edits, changes: changes, passes: ids)
            }
            analysis.edits += edits
          }
          for (edit, entries) in objects?.newDocuments ?? [] {
            if analysis.problem == nil { analysis.problem = verifyNewDocument(edit, entries: entries) }
            analysis.edits.append(edit)
          }
        }
      }
    } catch {
      // A file that is not YAML because of its template actions (`{{- if ... }}` lines,
      // `labels: {{- include ... | nindent 4 }}`) is a template that parses once rendered.
      if let action = templates?.structural, !error.message.hasPrefix(Pipeline.templateMessage) {
        throw Pipeline.templateError(at: action, in: source, unparsed: true)
      }
      throw FileError(error)
    }
    analysis.findings.sort { ($0.range.lowerBound, $0.passID) < ($1.range.lowerBound, $1.passID) }
    return analysis
  }

  /// Calls `body` with every draft of the enabled `passes` on `pod`, exemptions applied (an
  /// exempted draft keeps its finding and loses its fix). The one place where pods meet passes:
  /// `process` and `podDrafts(in:)` (charts) both draft through it.
  func forEachDraft(
    of pod: PodSpecView, editor: MappingEditor, locations: Locations, keys: DocumentKeys,
    passes: [(pass: any Pass, id: String, severity: Severity)], _ body: (String, Severity, Draft) -> Void
  ) {
    let document = editor.document
    let exemptions = Exemptions(pod: pod, editor: editor, lines: locations)
    let evidence = PodEvidence(pod: pod, editor: editor, images: configuration.images, keys: keys)
    let context = PassContext(
      configuration: configuration, editor: editor, exemptions: exemptions, evidence: evidence, locations: locations, keys: keys)
    for (pass, id, severity) in passes {
      for var draft in pass.check(pod, context: context) {
        if !exemptions.isEmpty {
          let container = pod.containers.first { document.range($0.node).contains(document.range(draft.node).lowerBound) }
          if let exempt = exemptions.exemption(for: id, container: container?.name) {
            draft.status = exempt
            draft.requirements = []
          }
        }
        body(id, severity, draft)
      }
    }
  }

  /// A file whose template actions (`{{ ... }}`, see `TemplateActions`) name nothing of Helm's
  /// is still a template when one of them stands where YAML structure is: in a plain scalar
  /// reading template data (`image: repo:{{ .Tag }}`, not a placeholder such as Prometheus's
  /// `{{ $value }}` or Argo's `{{inputs.parameters.x}}`), or as a flow mapping (`{{ ... }}`
  /// unquoted at the start of a value). Quoted and block scalars hold other programs' templates.
  static func rejectTemplates(_ document: Document) throws(YAMLError) {
    let bytes = document.source.bytes
    guard bytes.templateOpen(from: document.range.lowerBound, to: min(document.range.upperBound, bytes.count)) != nil else { return }
    for node in document.allNodes {
      let isTemplate: Bool
      if document.isScalar(node) {
        isTemplate = document.style(node) == .plain && TemplateActions.isGoTemplate(document.valueBytes(node))
      } else if document.isMapping(node) && document.isFlow(node) {
        let range = document.range(node)
        let text = document.source.bytes[range.lowerBound..<min(range.lowerBound + 2, range.upperBound)]
        isTemplate = text.elementsEqual("{{".utf8)
      } else {
        isTemplate = false
      }
      if isTemplate {
        let location = LineTable(document.source).location(of: document.range(node).lowerBound)
        throw YAMLError(line: location.line, column: location.column, message: templateMessage + templateAdvice)
      }
    }
  }

  static let templateMessage = "template syntax '{{' found: this file is a template (Helm, Go template)"
  static let templateAdvice =
    "; render it first (e.g. `helm template`) and fix the rendered manifests, or give the chart folder (`kubeharden fix CHART_DIR`)"

  /// The error for a template, at the action at `offset` (of a file libyaml cannot read, when
  /// `unparsed`: its own parse error would only confuse).
  static func templateError(at offset: Int, in source: SourceBuffer, unparsed: Bool = false) -> FileError {
    let location = LineTable(source).location(of: offset)
    return FileError(
      line: location.line, column: location.column,
      message: templateMessage + (unparsed ? " that is not YAML until it is rendered" : "") + templateAdvice)
  }

  /// Checks one document's edits before anything is written: the document's text with its
  /// edits, parsed on its own, must be exactly one document whose data is the original data
  /// with the planned changes made (nothing else changed, every new key and value where it was
  /// meant to go), and must still end with a line break where the original did. One libyaml
  /// pass over the edited document, compared with its tree as it goes.
  ///
  /// Checking document by document checks the whole file: edits stay inside their document,
  /// the text between documents is untouched, and a document that still ends with a line break
  /// leaves the next document's `---` at the start of its line, so the stream splits into the
  /// same documents as before and each one parses as it does on its own.
  func verify(_ document: Document, edits: [Edit], changes: [DataChange], passes: [String]) -> FileError? {
    var names: String { Set(passes).sorted().joined(separator: ", ") }  // for messages only
    let ordered: [Edit]
    do {
      ordered = try EditSet(edits).sorted()
    } catch {
      return FileError(message: "internal error: passes \(names) produced overlapping edits; nothing was written")
    }
    let range = document.standaloneRange
    guard ordered.allSatisfy({ range.lowerBound <= $0.range.lowerBound && $0.range.upperBound <= range.upperBound }) else {
      return FileError(message: "internal error: passes \(names) edit outside document \(document.index + 1); nothing was written")
    }
    return verify(document, fixedText: EditSet.applying(ordered, to: document.source.bytes, in: range), changes: changes, passes: names)
  }

  /// Checks `fixedText`, the text of `document` with the edits of `passes` applied (see above).
  func verify(_ document: Document, fixedText: [UInt8], changes: [DataChange], passes: @autoclosure () -> String) -> FileError? {
    let bytes = document.source.bytes
    let range = document.standaloneRange
    func endsWithBreak<C: BidirectionalCollection<UInt8>>(_ text: C) -> Bool {
      text.last == UInt8(ascii: "\n") || text.last == UInt8(ascii: "\r")
    }
    if !range.isEmpty && endsWithBreak(bytes[range]) && !endsWithBreak(fixedText) {
      return FileError(
        message:
          "the fixed text of document \(document.index + 1) no longer ends with a line break (passes \(passes())); nothing was written")
    }
    var limits = self.limits
    limits.maxBytes = max(limits.maxBytes, fixedText.count)  // the additions are ours
    if let mismatch = document.mismatch(in: SourceBuffer(fixedText), applying: changes, limits: limits) {
      return FileError(message: "the fixed text of document \(document.index + 1) \(mismatch) (passes \(passes())); nothing was written")
    }
    return nil
  }

  /// The passes that planned fixes, for error messages (counts exist in every mode; findings
  /// are not kept by `fix`).
  func passIDs(_ counts: FindingCounts) -> String {
    counts.fixableByPass.keys.sorted().joined(separator: ", ")
  }

}

/// Line and column numbers for findings, or offsets only when the findings are not kept.
struct Locations {
  let table: LineTable?
  init(_ table: LineTable?) { self.table = table }
  func location(of offset: Int) -> SourceLocation {
    table?.location(of: offset) ?? SourceLocation(offset: offset, line: 0, column: 0)
  }
}
