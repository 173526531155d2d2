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
    guard !analysis.edits.isEmpty else {
      return FileReport(path: path, original: bytes, findings: analysis.findings, counts: analysis.counts)
    }
    let fixed: [UInt8]
    let ordered: [Edit]
    do {
      let set = EditSet(analysis.edits)
      ordered = try set.sorted()
      fixed = try set.apply(to: bytes)
    } catch {
      return FileReport(
        path: path, original: bytes, findings: analysis.findings, counts: analysis.counts,
        error: FileError(message: "internal error: passes \(passIDs(analysis.counts)) produced overlapping edits; nothing was written"))
    }
    if let problem = verify(analysis, fixed: fixed) {
      return FileReport(path: path, original: bytes, findings: analysis.findings, counts: analysis.counts, error: problem)
    }
    return FileReport(
      path: path, original: bytes, edits: keepFindings || keepEdits ? ordered : [], fixed: fixed, findings: analysis.findings,
      counts: analysis.counts)
  }

  struct Analysis {
    var findings: [Finding] = []
    var counts = FindingCounts()
    var edits: [Edit] = []
    var documents = 0
    /// For each document that gets edits, the fingerprint of its data with the planned changes
    /// made: the fixed text must have exactly this data.
    var fingerprints: [Int: Int] = [:]
  }

  /// Reads, checks and plans one file.
  func analyze(_ source: SourceBuffer) throws(FileError) -> Analysis {
    var analysis = Analysis()
    let locator = WorkloadLocator(extraPaths: configuration.podTemplatePaths)
    var lines: Locations?
    let passes = self.passes
    let renderCache = MappingEditor.RenderCache()  // this worker's, for every document of the file
    do {
      try YAMLParser.forEachDocument(source, limits: limits) { (document) throws(YAMLError) in
        analysis.documents += 1
        try Pipeline.rejectTemplates(document)  // edits never write braces
        let editor = MappingEditor(document, renderCache: renderCache)
        let pods = locator.podSpecs(in: editor)
        guard !pods.isEmpty else { return }
        if lines == nil { lines = Locations(keepFindings && locateFindings ? LineTable(source) : nil) }
        let table = lines!
        var drafts: [Planner.Input] = []
        drafts.reserveCapacity(16)
        for pod in pods {
          let exemptions = Exemptions(pod: pod, editor: editor, lines: table)
          let context = PassContext(configuration: configuration, editor: editor, exemptions: exemptions)
          for (pass, id, severity) in passes {
            for var draft in pass.check(pod, context: context) {
              if !exemptions.isEmpty {
                let container = pod.containers.first { document.range($0.node).contains(document.range(draft.node).lowerBound) }
                if let exempt = exemptions.exemption(for: id, container: container?.name) {
                  draft.status = exempt
                  draft.requirements = []
                }
              }
              drafts.append(Planner.Input(passID: id, severity: severity, draft: draft))
            }
          }
        }
        let planned = Planner(editor: editor).plan(drafts, lines: table, keepFindings: keepFindings)
        analysis.counts.add(planned.counts)
        for (passID, count) in planned.fixable { analysis.counts.fixableByPass[passID, default: 0] += count }
        if keepFindings { analysis.findings += planned.findings }
        if !planned.edits.isEmpty {
          analysis.edits += planned.edits
          analysis.fingerprints[document.index] = document.fingerprint(applying: planned.changes)
        }
      }
    } catch {
      throw FileError(error)
    }
    analysis.findings.sort { ($0.range.lowerBound, $0.passID) < ($1.range.lowerBound, $1.passID) }
    return analysis
  }

  /// A file that still holds template syntax (`{{ ... }}` outside quoted or block scalars) must
  /// be rendered first: its YAML structure is not the manifest's.
  static func rejectTemplates(_ document: Document) throws(YAMLError) {
    // Most documents hold no `{{` at all: one pass over the bytes settles it.
    let bytes = document.source.bytes
    guard bytes.containsTemplateBraces(in: document.range.clamped(to: 0..<bytes.count)) else { return }
    for node in document.allNodes {
      let isTemplate: Bool
      if document.isScalar(node) {
        let value = Array(document.valueBytes(node))
        isTemplate = document.style(node) == .plain && value.containsTemplateBraces(in: value.indices)
      } else if document.isMapping(node) && document.isFlow(node) {
        let range = document.range(node)
        let text = document.source.bytes[range.lowerBound..<min(range.lowerBound + 2, range.upperBound)]
        isTemplate = text.elementsEqual("{{".utf8)
      } else {
        isTemplate = false
      }
      if isTemplate {
        let location = LineTable(document.source).location(of: document.range(node).lowerBound)
        throw YAMLError(
          line: location.line, column: location.column,
          message: "template syntax '{{' found: this is a template (Helm, Go template); render it first and fix the rendered manifests")
      }
    }
  }

  /// Checks the fixed text before it is written: it parses, has the same documents, and the
  /// data of every edited document is exactly the original data with the planned changes made
  /// (nothing else changed, every new key and value where it was meant to go). Costs one more
  /// libyaml pass over the fixed text; no tree is built.
  func verify(_ analysis: Analysis, fixed: [UInt8]) -> FileError? {
    var limits = self.limits
    limits.maxBytes = max(limits.maxBytes, fixed.count)  // the additions are ours
    let again: (documents: Int, fingerprints: [Int: Int])
    do {
      again = try YAMLParser.fingerprints(SourceBuffer(fixed), limits: limits, of: Set(analysis.fingerprints.keys))
    } catch {
      return FileError(
        message: "the fixed text does not parse (\(error.message)); passes \(passIDs(analysis.counts)); nothing was written")
    }
    guard again.documents == analysis.documents else {
      return FileError(message: "the fixed text has \(again.documents) documents instead of \(analysis.documents); nothing was written")
    }
    for (index, fingerprint) in analysis.fingerprints.sorted(by: { $0.key < $1.key }) where again.fingerprints[index] != fingerprint {
      return FileError(
        message:
          "the fixed text of document \(index + 1) does not hold exactly the original data with the planned changes (passes \(passIDs(analysis.counts))); nothing was written"
      )
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

extension Array where Element == UInt8 {
  /// Whether `{{` occurs in `range` (memchr from one `{` to the next).
  func containsTemplateBraces(in range: Range<Int>) -> Bool {
    var i = range.lowerBound
    while let found = fastIndex(of: UInt8(ascii: "{"), from: i, to: range.upperBound - 1) {
      if self[found + 1] == UInt8(ascii: "{") { return true }
      i = found + 1
    }
    return false
  }
}
