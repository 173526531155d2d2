import YAMLSource

/// Runs the enabled passes over one file: bytes → documents → pod specs → drafts → planned
/// edits → fixed bytes, then checks the fixed text before anyone writes it.
public struct Pipeline: Sendable {
  public var configuration: Configuration
  public var limits: ParseLimits

  public init(configuration: Configuration = Configuration(), limits: ParseLimits = .default) {
    self.configuration = configuration
    self.limits = limits
  }

  var passes: [any Pass] { PassRegistry.all.filter { configuration.isEnabled($0.metadata.id) } }

  /// Processes one file. Never throws: problems become `FileReport.error`.
  public func process(path: String, bytes: [UInt8]) -> FileReport {
    let source = SourceBuffer(bytes)
    let analysis: Analysis
    do {
      analysis = try analyze(source)
    } catch {
      return FileReport(path: path, original: bytes, error: error)
    }
    guard !analysis.edits.isEmpty else {
      return FileReport(path: path, original: bytes, findings: analysis.findings)
    }
    let fixed: [UInt8]
    let ordered: [Edit]
    do {
      let set = EditSet(analysis.edits)
      ordered = try set.sorted()
      fixed = try set.apply(to: bytes)
    } catch {
      return FileReport(
        path: path, original: bytes, findings: analysis.findings,
        error: FileError(message: "internal error: passes \(passIDs(analysis.findings)) produced overlapping edits; nothing was written"))
    }
    if let problem = verify(analysis, fixed: fixed) {
      return FileReport(path: path, original: bytes, findings: analysis.findings, error: problem)
    }
    return FileReport(path: path, original: bytes, edits: ordered, fixed: fixed, findings: analysis.findings)
  }

  struct Analysis {
    var findings: [Finding] = []
    var edits: [Edit] = []
    var documents = 0
    /// Data fingerprints (outside securityContext/resources) of the documents that get edits,
    /// or of the documents asked for.
    var fingerprints: [Int: Int] = [:]
  }

  /// The keys under which passes may change data; verification compares everything else.
  /// `volumes`/`volumeMounts` only when the /tmp emptyDir option is on.
  var editableKeys: Set<String> {
    configuration.tmpEmptyDir ? ["securityContext", "resources", "volumes", "volumeMounts"] : ["securityContext", "resources"]
  }

  /// Reads, checks and plans one file. `fingerprint` names documents whose data fingerprint is
  /// wanted whether or not they get edits (for verification).
  func analyze(_ source: SourceBuffer, fingerprint: Set<Int> = []) throws(FileError) -> Analysis {
    var analysis = Analysis()
    let locator = WorkloadLocator(extraPaths: configuration.podTemplatePaths)
    var lines: LineTable?
    let passes = self.passes
    let editableKeys = self.editableKeys
    do {
      try YAMLParser.forEachDocument(source, limits: limits) { (document) throws(YAMLError) in
        analysis.documents += 1
        try Pipeline.rejectTemplates(document)
        if fingerprint.contains(document.index) {
          analysis.fingerprints[document.index] = DataFingerprint.hash(document, ignoring: editableKeys)
        }
        let pods = locator.podSpecs(in: document)
        guard !pods.isEmpty else { return }
        if lines == nil { lines = LineTable(source) }
        let table = lines!
        let editor = MappingEditor(document)
        var drafts: [(passID: String, severity: Severity, draft: Draft)] = []
        for pod in pods {
          let exemptions = Exemptions(pod: pod, lines: table)
          let context = PassContext(configuration: configuration, editor: editor, exemptions: exemptions)
          for pass in passes {
            let meta = pass.metadata
            for var draft in pass.check(pod, context: context) {
              let container = pod.containers.first { document.range($0.node).contains(document.range(draft.node).lowerBound) }
              if let exempt = exemptions.exemption(for: meta.id, container: container?.name) {
                draft.status = exempt
                draft.requirements = []
              }
              drafts.append((meta.id, meta.severity, draft))
            }
          }
        }
        let planned = Planner(editor: editor).plan(drafts, lines: table)
        analysis.findings += planned.findings
        analysis.edits += planned.edits
        if !planned.edits.isEmpty && analysis.fingerprints[document.index] == nil {
          analysis.fingerprints[document.index] = DataFingerprint.hash(document, ignoring: editableKeys)
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
    relaxed.limits.maxBytes = max(limits.maxBytes, fixed.count)  // the additions are ours
    do {
      again = try relaxed.analyze(SourceBuffer(fixed), fingerprint: Set(analysis.fingerprints.keys))
    } catch {
      return FileError(message: "the fixed text does not parse (\(error.message)); passes \(passIDs(analysis.findings)); nothing was written")
    }
    guard again.documents == analysis.documents else {
      return FileError(message: "the fixed text has \(again.documents) documents instead of \(analysis.documents); nothing was written")
    }
    for (index, fingerprint) in analysis.fingerprints.sorted(by: { $0.key < $1.key }) where again.fingerprints[index] != fingerprint {
      return FileError(
        message: "the fixed text changes data outside \(editableKeys.sorted().joined(separator: "/")) in document \(index + 1) (passes \(passIDs(analysis.findings))); nothing was written")
    }
    if !again.edits.isEmpty {
      return FileError(message: "passes \(passIDs(again.findings.filter { $0.fix != nil })) do not converge: a second run would change the file again; nothing was written")
    }
    return nil
  }

  func passIDs(_ findings: [Finding]) -> String {
    var seen: [String] = []
    for f in findings where !seen.contains(f.passID) { seen.append(f.passID) }
    return seen.joined(separator: ", ")
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

/// A structural fingerprint of a document's data, blind to layout and to the keys named, used
/// to prove an edit touched nothing else.
enum DataFingerprint {
  /// A hash of `of(document, ignoring:)`; equal data gives equal hashes within one process.
  static func hash(_ document: Document, ignoring keys: Set<String>) -> Int {
    var hasher = Hasher()
    hasher.combine(of(document, ignoring: keys))
    return hasher.finalize()
  }

  static func of(_ document: Document, ignoring keys: Set<String>) -> [UInt8] {
    guard let root = document.root else { return [] }
    var out: [UInt8] = []
    var stack: [(NodeID, Int)] = [(root, 0)]
    while let (node, depth) = stack.popLast() {
      guard depth < 1000 else { continue }
      switch document.kind(node) {
      case .scalar:
        out.append(document.isPlainUntagged(node) ? 1 : 2)
        out += document.valueBytes(node)
        out.append(0)
      case .alias:
        out.append(3)
        if let target = document.aliasTarget(node) {
          out.append(document.kind(target).rawValue)
          out += document.valueBytes(target)
        }
      case .sequence:
        out.append(4)
        for item in document.items(node).reversed() { stack.append((item, depth + 1)) }
      case .mapping:
        out.append(5)
        for entry in document.entries(node).reversed() {
          if let key = document.string(entry.key), keys.contains(key) { continue }
          stack.append((entry.value, depth + 1))
          stack.append((entry.key, depth + 1))
        }
      }
    }
    return out
  }
}
