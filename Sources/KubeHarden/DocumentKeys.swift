import YAMLSource

/// Which of the keys that only a few passes read, and that most manifests never write
/// (`hostNetwork`, `hostPort`, `procMount`, `sysctls`, ...), occur anywhere in a document.
///
/// Found once per document in one pass over its scalars (exact decoded values, so quoting and
/// escapes do not hide a key; aliases and merge keys point at scalars of the same document).
/// A pass that can find nothing without one of these keys asks `PassContext.mentions` first and
/// skips its lookups in every container of every pod when the answer is no: most pods of a large
/// stream have no host access, and a lookup per field per container was a fifth of the passes'
/// time. A scalar that merely equals the word (a value, not a key) only makes the pass look.
public struct DocumentKeys: OptionSet, Sendable {
  public let rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let hostNetwork = DocumentKeys(rawValue: 1 << 0)
  public static let hostPID = DocumentKeys(rawValue: 1 << 1)
  public static let hostIPC = DocumentKeys(rawValue: 1 << 2)
  public static let hostPath = DocumentKeys(rawValue: 1 << 3)
  public static let hostPort = DocumentKeys(rawValue: 1 << 4)
  /// `host`, as in a probe's or lifecycle handler's `httpGet.host`.
  public static let host = DocumentKeys(rawValue: 1 << 5)
  public static let hostProcess = DocumentKeys(rawValue: 1 << 6)
  public static let capabilities = DocumentKeys(rawValue: 1 << 7)
  public static let procMount = DocumentKeys(rawValue: 1 << 8)
  public static let appArmorProfile = DocumentKeys(rawValue: 1 << 9)
  /// A key starting with `container.apparmor.security.beta.kubernetes.io/` (the annotation).
  public static let appArmorAnnotation = DocumentKeys(rawValue: 1 << 10)
  public static let seLinuxOptions = DocumentKeys(rawValue: 1 << 11)
  public static let sysctls = DocumentKeys(rawValue: 1 << 12)
  public static let volumes = DocumentKeys(rawValue: 1 << 13)
  /// A legacy seccomp annotation key (`seccomp.security.alpha.kubernetes.io/pod`,
  /// `container.seccomp.security.alpha.kubernetes.io/<container>`).
  public static let seccompAnnotation = DocumentKeys(rawValue: 1 << 14)

  /// Every key: what a context without a document index answers (nothing is skipped).
  public static let all = DocumentKeys(rawValue: .max)

  public static let hostNamespaces: DocumentKeys = [.hostNetwork, .hostPID, .hostIPC]

  static let words: [(word: [UInt8], key: DocumentKeys)] = {
    let list: [(String, DocumentKeys)] = [
      ("hostNetwork", .hostNetwork), ("hostPID", .hostPID), ("hostIPC", .hostIPC), ("hostPath", .hostPath),
      ("hostPort", .hostPort), ("host", .host), ("hostProcess", .hostProcess), ("capabilities", .capabilities),
      ("procMount", .procMount), ("appArmorProfile", .appArmorProfile), ("seLinuxOptions", .seLinuxOptions),
      ("sysctls", .sysctls), ("volumes", .volumes),
    ]
    return list.map { (Array($0.0.utf8), $0.1) }
  }()

  /// Keys found by their start (annotation keys longer than every word).
  static let prefixes: [(prefix: [UInt8], key: DocumentKeys)] = [
    (Array(AppArmorProfile.annotationPrefix.utf8), .appArmorAnnotation),
    (Array(SeccompProfile.podAnnotation.utf8), .seccompAnnotation),
    (Array(SeccompProfile.containerAnnotationPrefix.utf8), .seccompAnnotation),
  ]

  /// The words by length (index = byte count), so a scalar is compared only with words as long.
  static let byLength: [[(word: [UInt8], key: DocumentKeys)]] = {
    var table = Array(repeating: [(word: [UInt8], key: DocumentKeys)](), count: 16)
    for entry in words { table[entry.word.count].append(entry) }
    return table
  }()

  /// The keys written in `document`.
  public init(_ document: Document) {
    var found: UInt32 = 0
    let table = Self.byLength
    let prefixes = Self.prefixes
    document.forEachScalarValue { value in
      let count = value.count
      if count < table.count {
        for entry in table[count] where entry.word.withUnsafeBufferPointer({ $0.elementsEqual(value) }) {
          found |= entry.key.rawValue
        }
      } else {
        for entry in prefixes where count >= entry.prefix.count && value[0] == entry.prefix[0] && value.starts(with: entry.prefix) {
          found |= entry.key.rawValue
        }
      }
    }
    self.init(rawValue: found)
  }
}
