import YAMLSource

/// What is known about a public container image: who it runs as, whether and how it runs as
/// non-root, what it writes outside its data volumes, and which capabilities its entrypoint
/// needs. Read from the image's Dockerfile and entrypoint (each entry of `Data/image-profiles.yaml`
/// cites its sources); passes use it to choose a fix the image survives, or to say why none
/// exists.
public struct ImageProfile: Sendable, Hashable {
  /// The repository, without registry, `library/` or tag (`postgres`, `bitnami/redis`).
  public var name: String
  /// A glob on the tag (`*alpine*`): the entry applies only to matching tags.
  public var tags: String?
  /// The default user as the Dockerfile's last `USER` writes it (`root` without one).
  public var user: String?
  /// That user's UID, when known.
  public var uid: Int?
  /// How the image runs as a non-root user, when it can.
  public var nonRoot: NonRoot?
  /// Why it cannot run as non-root at all, when it cannot.
  public var needsRoot: String?
  /// An image that does the same job unprivileged.
  public var variant: String?
  public var dataPaths: [String] = []
  /// Paths it writes at run time outside its data paths and `/tmp`.
  public var writablePaths: [String] = []
  /// Whether it runs on a read-only root once `/tmp` and `writablePaths` are writable (nil: not known).
  public var readOnlyRoot: Bool?
  /// Capabilities its entrypoint needs when started as its default user.
  public var capabilities: [String] = []
  public var notes: String?
  /// Where the facts were read.
  public var sources: [String] = []

  /// The image's documented non-root mode.
  public struct NonRoot: Sendable, Hashable {
    public var uid: Int
    public var gid: Int?
    public var fsGroup: Int?
    public var how: String?
  }

  /// Whether the image runs as a non-root user by default.
  public var runsAsNonRoot: Bool { (uid ?? 0) > 0 }
}

/// The image profiles in force: the built-in data, then `.kubeharden.yaml` `images:` entries,
/// which replace built-in entries of the same name and tag glob.
public struct ImageCatalog: Sendable {
  public private(set) var entries: [ImageProfile] {
    didSet { index = Self.index(entries) }
  }
  /// Entry positions by repository name: a lookup per container must not scan every entry.
  private var index: [String: [Int]]

  public init(entries: [ImageProfile] = []) {
    self.entries = entries
    self.index = Self.index(entries)
  }

  static func index(_ entries: [ImageProfile]) -> [String: [Int]] {
    var index: [String: [Int]] = [:]
    for (position, entry) in entries.enumerated() { index[entry.name, default: []].append(position) }
    return index
  }

  /// The profiles shipped with kubeharden (`Data/image-profiles.yaml`, embedded at build time).
  public static let builtIn: ImageCatalog = {
    // The embedded data is checked by a test; were it ever unreadable, no image is known.
    (try? ImageCatalog(yaml: Array(ImageProfileData.yaml.utf8), path: "Data/image-profiles.yaml")) ?? ImageCatalog()
  }()

  /// Adds `other`'s entries, replacing those with the same name and tag glob.
  public mutating func merge(_ other: ImageCatalog) {
    var merged = entries
    for entry in other.entries {
      merged.removeAll { $0.name == entry.name && $0.tags == entry.tags }
      merged.append(entry)
    }
    entries = merged  // indexed once
  }

  /// The profile for an image reference (`docker.io/library/postgres:16-alpine@sha256:...`): an
  /// entry whose tag glob matches beats the plain entry of the repository.
  public func profile(for image: String) -> ImageProfile? {
    let reference = ImageReference(image)
    guard let positions = index[reference.repository] else { return nil }
    var plain: ImageProfile?
    for entry in positions.lazy.map({ entries[$0] }) {
      if let glob = entry.tags {
        if let tag = reference.tag, Glob.matches(glob, tag) { return entry }
      } else if plain == nil {
        plain = entry
      }
    }
    return plain
  }

  /// Reads a catalog in the schema of `Data/image-profiles.yaml`: a mapping with `images:`, a list
  /// of entries (or, in `.kubeharden.yaml`, that list as the value of `images:`).
  public init(yaml bytes: [UInt8], path: String) throws(ConfigurationError) {
    let documents: [Document]
    do {
      documents = try YAMLParser.parse(SourceBuffer(bytes))
    } catch {
      throw ConfigurationError("\(path):\(error.line):\(error.column): error: \(error.message)")
    }
    guard let document = documents.first, let root = document.root else {
      self.init()
      return
    }
    let editor = MappingEditor(document)
    guard document.isMapping(root), let list = editor.lookup(root, "images") else {
      throw ConfigurationError("\(path): expected a mapping with 'images:'")
    }
    try self.init(list: document.resolved(list.value), editor: editor, path: path)
  }

  /// Reads the list of entries at `list`.
  init(list: NodeID, editor: MappingEditor, path: String) throws(ConfigurationError) {
    let document = editor.document
    guard document.isSequence(list) else { throw ConfigurationError("\(path): images: expected a list") }
    var entries: [ImageProfile] = []
    for (index, item) in document.items(list).enumerated() {
      entries.append(try Self.entry(document.resolved(item), editor: editor, label: "\(path): images[\(index)]"))
    }
    self.init(entries: entries)
  }

  static let keys: Set<String> = [
    "name", "tags", "user", "uid", "nonRoot", "needsRoot", "variant", "dataPaths", "writablePaths", "readOnlyRoot",
    "capabilities", "notes", "sources",
  ]

  static func entry(_ node: NodeID, editor: MappingEditor, label: String) throws(ConfigurationError) -> ImageProfile {
    let document = editor.document
    guard document.isMapping(node) else { throw ConfigurationError("\(label): expected a mapping") }
    for entry in document.entries(node) {
      let key = document.string(entry.key) ?? ""
      guard keys.contains(key) else {
        throw ConfigurationError("\(label): unknown key '\(key)'; known keys: \(keys.sorted().joined(separator: ", "))")
      }
    }
    func value(_ key: String) -> NodeID? { editor.lookup(node, key).map { document.resolved($0.value) } }
    func text(_ key: String) -> String? { value(key).flatMap { document.isScalar($0) && !document.isNull($0) ? document.string($0) : nil } }
    func int(_ key: String, in base: NodeID) throws(ConfigurationError) -> Int? {
      guard let found = editor.lookup(base, key).map({ document.resolved($0.value) }) else { return nil }
      guard let number = document.integer(found), number >= 0 else { throw ConfigurationError("\(label): \(key): expected a UID or GID") }
      return number
    }
    func list(_ key: String) throws(ConfigurationError) -> [String] {
      guard let found = value(key) else { return [] }
      guard document.isSequence(found) else { throw ConfigurationError("\(label): \(key): expected a list") }
      return document.items(found).compactMap { item in
        let item = document.resolved(item)
        // A source is a URL, or a mapping {url, read}.
        if document.isMapping(item) { return editor.lookup(item, "url").flatMap { document.string(document.resolved($0.value)) } }
        return document.string(item)
      }
    }
    guard let name = text("name"), !name.isEmpty else { throw ConfigurationError("\(label): 'name' is required") }
    var profile = ImageProfile(name: ImageReference(name).repository)
    profile.tags = text("tags")
    profile.user = text("user")
    profile.uid = try int("uid", in: node)
    if let nonRoot = value("nonRoot"), document.isMapping(nonRoot) {
      guard let uid = try int("uid", in: nonRoot), uid > 0 else { throw ConfigurationError("\(label): nonRoot.uid: expected a non-zero UID") }
      profile.nonRoot = ImageProfile.NonRoot(
        uid: uid, gid: try int("gid", in: nonRoot), fsGroup: try int("fsGroup", in: nonRoot),
        how: editor.lookup(nonRoot, "how").flatMap { document.string(document.resolved($0.value)) })
    }
    profile.needsRoot = text("needsRoot")
    profile.variant = text("variant")
    profile.dataPaths = try list("dataPaths")
    profile.writablePaths = try list("writablePaths")
    if let flag = value("readOnlyRoot") {
      guard let bool = document.bool(flag) else { throw ConfigurationError("\(label): readOnlyRoot: expected true or false") }
      profile.readOnlyRoot = bool
    }
    profile.capabilities = try list("capabilities")
    profile.notes = text("notes")
    profile.sources = try list("sources")
    for path in profile.writablePaths where !path.hasPrefix("/") {
      throw ConfigurationError("\(label): writablePaths: '\(path)' is not an absolute path")
    }
    return profile
  }
}

/// The parts of an image reference that profiles match on.
struct ImageReference {
  /// Without registry, `library/`, tag or digest.
  var repository: String
  var tag: String?

  init(_ reference: String) {
    // On bytes, once per container: cut the digest, the registry (a first component with a dot
    // or a port, or `localhost`, as docker parses it), the tag after the last slash, `library/`.
    let bytes = Array(reference.utf8)
    var end = bytes.firstIndex(of: UInt8(ascii: "@")) ?? bytes.count
    var start = 0
    if let slash = bytes[..<end].firstIndex(of: UInt8(ascii: "/")) {
      let first = bytes[..<slash]
      if first.contains(UInt8(ascii: ".")) || first.contains(UInt8(ascii: ":")) || first.elementsEqual("localhost".utf8) {
        start = slash + 1
      }
    }
    let lastSlash = bytes[start..<end].lastIndex(of: UInt8(ascii: "/")) ?? start - 1
    var tag: String?
    if let colon = bytes[(lastSlash + 1)..<end].lastIndex(of: UInt8(ascii: ":")) {
      tag = String(decoding: bytes[(colon + 1)..<end], as: UTF8.self)
      end = colon
    }
    let library = "library/".utf8
    if end - start > library.count && bytes[start..<(start + library.count)].elementsEqual(library) { start += library.count }
    var name = bytes[start..<end]
    var lowered: [UInt8]?
    if name.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) {
      lowered = name.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }
    }
    if let lowered { name = lowered[...] }
    repository = String(decoding: name, as: UTF8.self)
    self.tag = tag
  }
}

/// `*` and `?` globs, as tags are matched.
enum Glob {
  static func matches(_ pattern: String, _ text: String) -> Bool {
    let p = Array(pattern.utf8)
    let t = Array(text.utf8)
    var pi = 0
    var ti = 0
    var star = -1
    var mark = 0
    while ti < t.count {
      if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == t[ti]) {
        pi += 1
        ti += 1
      } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
        star = pi
        mark = ti
        pi += 1
      } else if star >= 0 {
        pi = star + 1
        mark += 1
        ti = mark
      } else {
        return false
      }
    }
    while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
    return pi == p.count
  }
}
