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
  /// Files at least this large are processed in parts on all cores.
  public var parallelThreshold = Pipeline.defaultParallelThreshold

  public init(configuration: Configuration = Configuration(), limits: ParseLimits = .default, keepFindings: Bool = true) {
    self.configuration = configuration
    self.limits = limits
    self.keepFindings = keepFindings
  }

  var passes: [any Pass] { PassRegistry.all.filter { configuration.isEnabled($0.metadata.id) } }

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
    return FileReport(path: path, original: bytes, edits: ordered, fixed: fixed, findings: analysis.findings, counts: analysis.counts)
  }

  struct Analysis {
    var findings: [Finding] = []
    var counts = FindingCounts()
    var edits: [Edit] = []
    var documents = 0
    /// Data fingerprints (outside securityContext/resources) of the documents that get edits,
    /// or of the documents asked for.
    var fingerprints: [Int: Int] = [:]
    /// In verification: passes that would still change something.
    var unconverged: Set<String> = []
  }

  /// The keys under which passes may change data; verification compares everything else.
  /// `volumes`/`volumeMounts` only when the /tmp emptyDir option is on.
  var editableKeys: Set<String> {
    configuration.tmpEmptyDir ? ["securityContext", "resources", "volumes", "volumeMounts"] : ["securityContext", "resources"]
  }

  /// Reads, checks and plans one file. `fingerprint` names documents whose data fingerprint is
  /// wanted whether or not they get edits (for verification).
  ///
  /// With `verifying`, nothing is planned: the passes only report, in `unconverged`, which of
  /// them would still change something (a fixed text must be a fixed point).
  func analyze(_ source: SourceBuffer, fingerprint: Set<Int> = [], verifying: Bool = false) throws(FileError) -> Analysis {
    var analysis = Analysis()
    let locator = WorkloadLocator(extraPaths: configuration.podTemplatePaths)
    var lines: Locations?
    let passes = self.passes.map { (pass: $0, id: $0.metadata.id, severity: $0.metadata.severity) }
    let editableKeys = self.editableKeys
    do {
      try YAMLParser.forEachDocument(source, limits: limits) { (document) throws(YAMLError) in
        analysis.documents += 1
        if !verifying { try Pipeline.rejectTemplates(document) }  // edits never write braces
        if fingerprint.contains(document.index) {
          analysis.fingerprints[document.index] = document.dataHash(ignoring: editableKeys)
        }
        let pods = locator.podSpecs(in: document)
        guard !pods.isEmpty else { return }
        if lines == nil { lines = Locations(keepFindings && locateFindings ? LineTable(source) : nil) }
        let table = lines!
        let editor = MappingEditor(document)
        var drafts: [(passID: String, severity: Severity, draft: Draft)] = []
        for pod in pods {
          let exemptions = Exemptions(pod: pod, lines: table)
          let context = PassContext(configuration: configuration, editor: editor, exemptions: exemptions)
          for (pass, id, severity) in passes {
            for var draft in pass.check(pod, context: context) {
              let container = pod.containers.first { document.range($0.node).contains(document.range(draft.node).lowerBound) }
              if let exempt = exemptions.exemption(for: id, container: container?.name) {
                draft.status = exempt
                draft.requirements = []
              }
              drafts.append((id, severity, draft))
            }
          }
        }
        let planner = Planner(editor: editor)
        if verifying {
          for item in drafts where item.draft.status.isFixable {
            let pending = item.draft.requirements.contains { requirement in
              switch planner.resolve(requirement) {
              case .satisfied, .refused: return false
              default: return true
              }
            }
            if pending { analysis.unconverged.insert(item.passID) }
          }
          return
        }
        let planned = planner.plan(drafts, lines: table, keepFindings: keepFindings)
        analysis.counts.add(planned.counts)
        if keepFindings { analysis.findings += planned.findings }
        analysis.edits += planned.edits
        if !planned.edits.isEmpty && analysis.fingerprints[document.index] == nil {
          analysis.fingerprints[document.index] = document.dataHash(ignoring: editableKeys)
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
    let range = document.range.clamped(to: 0..<bytes.count)
    guard bytes[range].containsTemplateBraces else { return }
    for node in document.allNodes {
      let isTemplate: Bool
      if document.isScalar(node) {
        isTemplate = document.style(node) == .plain && document.valueBytes(node).containsTemplateBraces
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

  /// Checks the fixed text before it is written: it parses, has the same documents, the data of
  /// every edited document differs only under `securityContext` and `resources`, and a second
  /// run finds nothing more to fix. Costs one more parse and pass run, of the fixed text only.
  func verify(_ analysis: Analysis, fixed: [UInt8]) -> FileError? {
    let again: Analysis
    var relaxed = self
    relaxed.keepFindings = false
    relaxed.limits.maxBytes = max(limits.maxBytes, fixed.count)  // the additions are ours
    do {
      again = try relaxed.analyze(SourceBuffer(fixed), fingerprint: Set(analysis.fingerprints.keys), verifying: true)
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
          "the fixed text changes data outside \(editableKeys.sorted().joined(separator: "/")) in document \(index + 1) (passes \(passIDs(analysis.counts))); nothing was written"
      )
    }
    if !again.unconverged.isEmpty {
      return FileError(
        message:
          "passes \(again.unconverged.sorted().joined(separator: ", ")) do not converge: a second run would change the file again; nothing was written"
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

extension ArraySlice where Element == UInt8 {
  var containsTemplateBraces: Bool {
    var previous: UInt8 = 0
    for byte in self {
      if byte == UInt8(ascii: "{") && previous == UInt8(ascii: "{") { return true }
      previous = byte
    }
    return false
  }
}
