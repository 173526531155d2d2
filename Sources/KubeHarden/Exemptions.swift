import YAMLSource

/// Exemptions read from a workload's annotations:
/// `kubeharden.io/skip: "<id>,<id>"` skips passes for the whole pod;
/// `kubeharden.io/skip.<container-name>: "<id>,..."` for one container; `all` skips every pass.
/// Annotations count on the object's `metadata` and on its pod template's `metadata`.
public struct Exemptions: Sendable {
  public static let prefix = "kubeharden.io/skip"

  struct Entry: Sendable {
    var ids: Set<String>
    var container: String?
    var location: SourceLocation
    var annotation: String
  }

  var entries: [Entry] = []

  public init() {}

  init(pod: PodSpecView, editor: MappingEditor, lines: Locations) {
    self.init(annotations: pod.annotations(editor), document: pod.document, lines: lines)
  }

  /// The exemptions of an object that holds no pod (a Namespace): its `metadata.annotations`.
  init(object: NodeID, editor: MappingEditor, lines: Locations) {
    let document = editor.document
    var entries: [MappingEntry] = []
    if let annotations = editor.value(at: ["metadata", "annotations"], in: object), document.isMapping(annotations) {
      for entry in document.eachEntry(annotations) { entries.append(entry) }
    }
    self.init(annotations: entries, document: document, lines: lines)
  }

  init(annotations: [MappingEntry], document: Document, lines: Locations) {
    for entry in annotations {
      guard let key = document.string(entry.key), key.hasPrefix(Exemptions.prefix) else { continue }
      let rest = key.dropFirst(Exemptions.prefix.count)
      let container: String?
      if rest.isEmpty {
        container = nil
      } else if rest.first == "." {
        container = String(rest.dropFirst())
      } else {
        continue
      }
      let value = document.string(document.resolved(entry.value)) ?? ""
      let ids = Set(value.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty })
      entries.append(
        Entry(ids: ids, container: container, location: lines.location(of: document.range(entry.key).lowerBound), annotation: key))
    }
  }

  /// Whether no annotation exempts anything.
  public var isEmpty: Bool { entries.isEmpty }

  /// The exemption that skips `passID` for a container (or the whole pod when `container` is
  /// nil), if any.
  public func exemption(for passID: String, container: String?) -> FindingStatus? {
    for entry in entries where entry.ids.contains(passID) || entry.ids.contains("all") {
      if entry.container == nil || entry.container == container {
        return .exempted(reason: "exempted by annotation \(entry.annotation)", location: entry.location)
      }
    }
    return nil
  }
}
