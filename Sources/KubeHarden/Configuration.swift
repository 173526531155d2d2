import YAMLSource

/// A bad configuration value or flag: a usage error that names the key and the value.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// Default resource requests and limits.
public struct ResourceDefaults: Sendable, Hashable {
  public var cpuRequest: Quantity
  public var memoryRequest: Quantity
  public var cpuLimit: Quantity
  public var memoryLimit: Quantity

  public static let standard = ResourceDefaults(
    cpuRequest: Quantity("200m")!, memoryRequest: Quantity("256Mi")!, cpuLimit: Quantity("500m")!,
    memoryLimit: Quantity("512Mi")!)

  public func request(_ resource: String) -> Quantity { resource == "cpu" ? cpuRequest : memoryRequest }
  public func limit(_ resource: String) -> Quantity { resource == "cpu" ? cpuLimit : memoryLimit }
}

/// The settings of `namespace-limit-range`: the name of the LimitRange it adds, and the
/// namespaces that get none (the system namespaces, whose pods the cluster runs).
public struct LimitRangeSettings: Sendable, Hashable {
  public var name = "default-limits"
  /// `limitRange.exclude` replaces this list.
  public var exclude: Set<String> = ["kube-system", "kube-public", "kube-node-lease"]

  public init() {}

  /// Whether `text` is a DNS subdomain name (RFC 1123: at most 253 characters, lowercase
  /// alphanumerics, `-` and `.`, starting and ending alphanumeric), which a LimitRange's name
  /// must be (https://kubernetes.io/docs/concepts/policy/limit-range/: "The name of a
  /// LimitRange object must be a valid DNS subdomain name";
  /// https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-subdomain-names).
  public static func isDNSSubdomain(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    func isAlphanumeric(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
    guard let first = bytes.first, let last = bytes.last, bytes.count <= 253 else { return false }
    return isAlphanumeric(first) && isAlphanumeric(last)
      && bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
  }
}

/// What to fix and with which values: built from defaults, then `.kubeharden.yaml`, then flags.
public struct Configuration: Sendable {
  /// The passes that run.
  public var enabledPasses: Set<String>
  /// The UID written by `run-as-non-root`.
  public var runAsUser: Int
  public var resources: ResourceDefaults
  /// Pod-template paths for kinds kubeharden does not know (custom resources).
  public var podTemplatePaths: [PodTemplatePath]
  /// Glob patterns of paths not to process (relative to the configuration file's folder).
  public var exclude: [String]
  /// The folder of the configuration file these settings came from, if any.
  public var baseDirectory: String?
  /// With `read-only-root-filesystem`: also mount an `emptyDir` at `/tmp` (and at the paths
  /// the image's profile lists) in each container it fixes, since most applications write
  /// temporary files there. On by default; `tmpEmptyDir: false` turns it off.
  public var tmpEmptyDir = true
  /// UIDs below this are reported as a note (checkov CKV_K8S_40 asks for 10000 or more).
  public var minRunAsUser = 10000
  /// What is known about public images: built in, extended by `images:`.
  public var images = ImageCatalog.builtIn
  /// Apply unsafe fixes too (`--unsafe-fixes`, `unsafeFixes: true`): fixes that override an
  /// explicit value or that the image may not survive. Off by default: they are only shown.
  public var unsafeFixes = false
  /// Which Pod Security Standards checks run (`--profile`, `profile:`); kubeharden's own passes
  /// run under every profile.
  public var profile: PodSecurityProfile = .restricted
  /// What `namespace-limit-range` writes and where it does not (`limitRange:`).
  public var limitRange = LimitRangeSettings()

  public init(
    enabledPasses: Set<String> = Set(PassRegistry.all.filter { $0.metadata.enabledByDefault }.map { $0.metadata.id }),
    runAsUser: Int = 10001, resources: ResourceDefaults = .standard, podTemplatePaths: [PodTemplatePath] = [],
    exclude: [String] = [], baseDirectory: String? = nil
  ) {
    self.enabledPasses = enabledPasses
    self.runAsUser = runAsUser
    self.resources = resources
    self.podTemplatePaths = podTemplatePaths
    self.exclude = exclude
    self.baseDirectory = baseDirectory
  }

  /// Whether pass `id` runs: enabled, and part of the selected Pod Security profile.
  public func isEnabled(_ id: String) -> Bool {
    enabledPasses.contains(id) && (PassRegistry.podSecurity[id]?.runs(under: profile) ?? true)
  }

  /// Parses a profile setting.
  public static func profile(_ text: String, key: String) throws(ConfigurationError) -> PodSecurityProfile {
    guard let profile = PodSecurityProfile(rawValue: text) else {
      throw ConfigurationError("\(key): '\(text)' is not a Pod Security profile (baseline or restricted)")
    }
    return profile
  }

  /// Checks values that are only wrong together.
  public func validate() throws(ConfigurationError) {
    guard runAsUser > 0 else { throw ConfigurationError("runAsUser: \(runAsUser) must be a non-zero UID") }
    for resource in ["cpu", "memory"] where resources.request(resource) > resources.limit(resource) {
      throw ConfigurationError(
        "the default \(resource) request \(resources.request(resource)) is above the default \(resource) limit \(resources.limit(resource))"
      )
    }
    for q in [resources.cpuRequest, resources.memoryRequest, resources.cpuLimit, resources.memoryLimit]
    where q.isNegative || q.isZero {
      throw ConfigurationError("resource default \(q) must be positive")
    }
  }

  /// Parses a pass-id list (`a,b`), checking every id.
  public static func passIDs(_ text: String, key: String) throws(ConfigurationError) -> [String] {
    let ids = text.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
    for id in ids where PassRegistry.pass(id: id) == nil {
      throw ConfigurationError("\(key): unknown pass '\(id)'; known passes: \(PassRegistry.ids.joined(separator: ", "))")
    }
    return ids
  }

  /// Parses a quantity setting.
  public static func quantity(_ text: String, key: String) throws(ConfigurationError) -> Quantity {
    guard let q = Quantity(text), !q.isNegative, !q.isZero else {
      throw ConfigurationError("\(key): '\(text)' is not a positive Kubernetes quantity (e.g. 500m, 256Mi)")
    }
    return q
  }

  /// Parses a UID setting.
  public static func uid(_ text: String, key: String) throws(ConfigurationError) -> Int {
    guard let uid = Int(text), uid > 0, uid <= 2_147_483_647 else {
      throw ConfigurationError("\(key): '\(text)' is not a non-zero UID")
    }
    return uid
  }

  /// Applies the settings of a `.kubeharden.yaml` file.
  ///
  /// ```yaml
  /// only: [run-as-non-root, resource-limits]   # or: skip: [read-only-root-filesystem]
  /// runAsUser: 10001
  /// resources:
  ///   requests: {cpu: 200m, memory: 256Mi}
  ///   limits: {cpu: 500m, memory: 512Mi}
  /// podTemplatePaths:
  ///   - {apiVersion: apps.kruise.io/v1beta1, kind: StatefulSet, path: spec.template.spec}
  /// exclude: [vendor/**, "*.generated.yaml"]
  /// tmpEmptyDir: true    # read-only-root-filesystem also mounts an emptyDir at /tmp
  /// unsafeFixes: true    # apply unsafe fixes too (as --unsafe-fixes)
  /// minRunAsUser: 10000  # explicit UIDs below it are a note
  /// profile: restricted  # Pod Security checks to run: baseline or restricted
  /// limitRange:          # namespace-limit-range: the name it writes, namespaces it skips
  ///   name: default-limits
  ///   exclude: [kube-system, kube-public, kube-node-lease]
  /// images:              # add or override image profiles (schema of Data/image-profiles.yaml)
  ///   - {name: registry.example.com/team/app, user: app, uid: 1500, writablePaths: [/var/cache/app]}
  /// ```
  public mutating func apply(configFile bytes: [UInt8], path: String) throws(ConfigurationError) {
    let documents: [Document]
    do {
      documents = try YAMLParser.parse(SourceBuffer(bytes))
    } catch {
      throw ConfigurationError("\(path):\(error.line):\(error.column): error: \(error.message)")
    }
    guard let document = documents.first, let root = document.root else { return }
    guard document.isMapping(root) else { throw ConfigurationError("\(path): the configuration must be a mapping") }
    let known: Set<String> = [
      "only", "skip", "runAsUser", "resources", "podTemplatePaths", "exclude", "tmpEmptyDir", "unsafeFixes", "minRunAsUser", "images",
      "profile", "limitRange",
    ]
    let editor = MappingEditor(document)
    func strings(_ node: NodeID, key: String) throws(ConfigurationError) -> [String] {
      let node = document.resolved(node)
      if document.isScalar(node) { return [document.string(node) ?? ""] }
      guard document.isSequence(node) else { throw ConfigurationError("\(path): \(key): expected a list") }
      return document.items(node).map { document.string(document.resolved($0)) ?? "" }
    }
    for entry in document.entries(root) {
      let key = document.string(entry.key) ?? ""
      guard known.contains(key) else {
        throw ConfigurationError("\(path): unknown key '\(key)'; known keys: \(known.sorted().joined(separator: ", "))")
      }
      let value = document.resolved(entry.value)
      switch key {
      case "only":
        enabledPasses = Set(try Configuration.passIDs(try strings(value, key: key).joined(separator: ","), key: "\(path): only"))
      case "skip":
        for id in try Configuration.passIDs(try strings(value, key: key).joined(separator: ","), key: "\(path): skip") {
          enabledPasses.remove(id)
        }
      case "runAsUser":
        runAsUser = try Configuration.uid(document.string(value) ?? "", key: "\(path): runAsUser")
      case "profile":
        profile = try Configuration.profile(document.string(value) ?? "", key: "\(path): profile")
      case "minRunAsUser":
        minRunAsUser = try Configuration.uid(document.string(value) ?? "", key: "\(path): minRunAsUser")
      case "images":
        images.merge(try ImageCatalog(list: value, editor: editor, path: path))
      case "resources":
        for (group, resource, keyPath) in [
          ("requests", "cpu", \ResourceDefaults.cpuRequest), ("requests", "memory", \ResourceDefaults.memoryRequest),
          ("limits", "cpu", \ResourceDefaults.cpuLimit), ("limits", "memory", \ResourceDefaults.memoryLimit),
        ] {
          guard let node = editor.lookup(value, group).flatMap({ editor.lookup(document.resolved($0.value), resource) }) else { continue }
          let text = document.string(document.resolved(node.value)) ?? ""
          resources[keyPath: keyPath] = try Configuration.quantity(text, key: "\(path): resources.\(group).\(resource)")
        }
      case "podTemplatePaths":
        guard document.isSequence(value) else { throw ConfigurationError("\(path): podTemplatePaths: expected a list") }
        for item in document.items(value) {
          let item = document.resolved(item)
          let kind = editor.lookup(item, "kind").flatMap { document.string($0.value) }
          let specPath = editor.lookup(item, "path").flatMap { document.string($0.value) }
          guard let kind, let specPath, !kind.isEmpty, !specPath.isEmpty else {
            throw ConfigurationError("\(path): podTemplatePaths: each item needs 'kind' and 'path' (e.g. spec.template.spec)")
          }
          let apiVersion = editor.lookup(item, "apiVersion").flatMap { document.string($0.value) }
          podTemplatePaths.append(
            PodTemplatePath(apiVersion: apiVersion, kind: kind, specPath: specPath.split(separator: ".").map(String.init)))
        }
      case "exclude":
        exclude += try strings(value, key: key)
      case "limitRange":
        guard document.isMapping(value) else { throw ConfigurationError("\(path): limitRange: expected a mapping (name:, exclude:)") }
        for entry in document.entries(value) {
          let subkey = document.string(entry.key) ?? ""
          let subvalue = document.resolved(entry.value)
          switch subkey {
          case "name":
            let name = document.string(subvalue) ?? ""
            guard document.isScalar(subvalue), LimitRangeSettings.isDNSSubdomain(name) else {
              throw ConfigurationError(
                "\(path): limitRange.name: '\(name)' is not a DNS subdomain name (lowercase letters, digits, '-', '.')")
            }
            limitRange.name = name
          case "exclude":
            limitRange.exclude = Set(try strings(subvalue, key: "limitRange.exclude"))
          default:
            throw ConfigurationError("\(path): limitRange: unknown key '\(subkey)'; known keys: exclude, name")
          }
        }
      case "tmpEmptyDir", "unsafeFixes":
        guard let flag = document.bool(value) else {
          throw ConfigurationError("\(path): \(key): '\(document.string(value) ?? "")' is not true or false")
        }
        if key == "tmpEmptyDir" { tmpEmptyDir = flag } else { unsafeFixes = flag }
      default:
        break
      }
    }
    try validate()
  }
}

extension String {
  func trimmingSpaces() -> String {
    var s = Substring(self)
    while s.first == " " || s.first == "\t" { s = s.dropFirst() }
    while s.last == " " || s.last == "\t" { s = s.dropLast() }
    return String(s)
  }
}
