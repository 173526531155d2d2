import Foundation
import KubeHarden

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One input to process: a file path as given (or found under a directory), or standard input.
struct Input: Sendable {
  var path: String
  var isStdin: Bool
  /// Whether the path may be a symbolic link (its target is what gets written); false when the
  /// directory listing or `lstat` said it is a regular file.
  var mayBeLink = true
  /// Whether the path was named on the command line (not found under a directory).
  var named = false
  /// A chart folder (`Chart.yaml`): checked on what it renders, fixed in its `values.yaml`.
  var isChart = false
}

/// Expands command-line paths into files: directories recurse into *.yaml, *.yml and *.json,
/// skipping hidden folders and symlink loops; the result is sorted by path and de-duplicated.
enum InputCollector {
  static let extensions: Set<String> = ["yaml", "yml", "json"]

  /// `leftovers` gets the temporary files found under the directories that belong to runs that
  /// no longer exist (killed before they could clean up; see `isLeftover`).
  static func collect(_ paths: [String], errors: inout [(String, String)], leftovers: inout [String]) -> [Input] {
    var inputs: [Input] = []
    var seen = Set<String>()
    for path in paths {
      if path == "-" {
        inputs.append(Input(path: "-", isStdin: true, mayBeLink: false))
        continue
      }
      var info = stat()
      guard stat(path, &info) == 0 else {
        errors.append((path, "no such file or directory"))
        continue
      }
      if info.st_mode & S_IFMT == S_IFDIR {
        var visited = Set<String>()
        var found: [Found] = []
        walk(path, real: realPath(path), visited: &visited, into: &found, errors: &errors, leftovers: &leftovers)
        for file in found.sorted(by: { $0.path < $1.path }) where seen.insert(file.real).inserted {
          inputs.append(Input(path: file.path, isStdin: false, mayBeLink: file.isLink, isChart: file.isChart))
        }
      } else if seen.insert(realPath(path)).inserted {
        var link = stat()
        let isLink = lstat(path, &link) != 0 || link.st_mode & S_IFMT == S_IFLNK
        inputs.append(Input(path: path, isStdin: false, mayBeLink: isLink, named: true))
      }
    }
    return inputs
  }

  /// Whether a file name ends with .yaml, .yml or .json (any case). Bytes, not Foundation: this
  /// runs for every file of a tree.
  static func hasManifestExtension(_ name: String) -> Bool {
    let utf8 = Array(name.utf8)
    guard let dot = utf8.lastIndex(of: UInt8(ascii: ".")), dot > 0 else { return false }
    let suffix = String(decoding: utf8[(dot + 1)...].map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    return extensions.contains(suffix)
  }

  /// Whether a file name is one of fix's temporary files (`FileIO.temporaryName`), or looks
  /// like one: such files are never read as manifests.
  static func isTemporaryFile(_ name: String) -> Bool {
    let utf8 = Array(name.utf8)
    let marker = Array(FileIO.temporaryMarker.utf8)
    guard utf8.count >= marker.count else { return false }
    return (0...(utf8.count - marker.count)).contains { start in utf8[start..<(start + marker.count)].elementsEqual(marker) }
  }

  /// Whether a temporary file name (`.<name>.kubeharden-<pid>-<n>`) belongs to a process that no
  /// longer exists: a `fix` killed (SIGKILL, power loss) between writing it and renaming it. A
  /// file of a live process, or a name that does not parse, is never a leftover.
  static func isLeftover(_ name: String) -> Bool {
    guard let pid = FileIO.temporaryFileWriter(name) else { return false }
    return kill(pid, 0) != 0 && errno == ESRCH
  }

  /// The file a path names, links resolved: the same file given twice is processed once.
  static func realPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return URL(fileURLWithPath: path).standardizedFileURL.path }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  /// A manifest found by `walk`: its path, its resolved path, whether it is a symbolic link.
  struct Found {
    var path: String
    var real: String
    var isLink: Bool
    var isChart = false
  }

  /// Collects the manifests under `directory` (whose resolved path is `real`). The kinds of
  /// entries come from the directory listing itself; only symbolic links cost a `stat` and a
  /// `realpath`, so a tree of many files is walked with about one system call per folder.
  static func walk(
    _ directory: String, real: String, visited: inout Set<String>, into found: inout [Found], errors: inout [(String, String)],
    leftovers: inout [String]
  ) {
    guard visited.insert(real).inserted else { return }  // symlink loop or repeat
    guard let stream = opendir(directory) else {
      errors.append((directory, "cannot read directory"))
      return
    }
    var entries: [(name: String, type: UInt8)] = []
    while let entry = readdir(stream) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if name != "." && name != ".." { entries.append((name, entry.pointee.d_type)) }
    }
    closedir(stream)
    let prefix = directory.hasSuffix("/") ? directory : directory + "/"
    let realPrefix = real.hasSuffix("/") ? real : real + "/"
    let isChart = entries.contains { $0.name == "Chart.yaml" }
    if isChart {
      // The folder is one input: the chart, fixed in its values.yaml alone. Nothing else in it is
      // walked as a manifest (rendered examples such as opentelemetry-operator's
      // `examples/*/rendered/` are outputs of the chart, regenerated from it); a file named on
      // the command line is still read as one.
      let path = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
      found.append(Found(path: path, real: real, isLink: false, isChart: true))
      return
    }
    for (name, type) in entries.sorted(by: { $0.name < $1.name }) {
      let child = prefix + name
      var isDirectory = type == UInt8(DT_DIR)
      var isFile = type == UInt8(DT_REG)
      var childReal = realPrefix + name
      if type == UInt8(DT_LNK) || type == UInt8(DT_UNKNOWN) {
        var info = stat()
        guard stat(child, &info) == 0 else { continue }  // a dangling link
        isDirectory = info.st_mode & S_IFMT == S_IFDIR
        isFile = info.st_mode & S_IFMT == S_IFREG
        childReal = realPath(child)
      }
      if isDirectory {
        if name.hasPrefix(".") { continue }  // hidden folders: .git, .github caches, ...
        walk(child, real: childReal, visited: &visited, into: &found, errors: &errors, leftovers: &leftovers)
      } else if isTemporaryFile(name) {
        if isFile && type == UInt8(DT_REG) && isLeftover(name) { leftovers.append(child) }
        continue  // temporary files of a running fix, or leftovers of a killed one
      } else if !isFile || name == ".kubeharden.yaml" {
        continue  // the configuration file
      } else if hasManifestExtension(name) {
        found.append(Found(path: child, real: childReal, isLink: type != UInt8(DT_REG)))
      }
    }
  }
}

/// Finds and caches the configuration that applies to each file.
final class ConfigurationResolver: @unchecked Sendable {
  let explicitPath: String?
  let options: CommonOptions
  private var cache: [String: Configuration] = [:]
  /// The configuration file found for each folder (nil: none), so a tree of many files walks up
  /// from each folder once.
  private var found: [String: String?] = [:]
  private let lock = NSLock()

  init(explicitPath: String?, options: CommonOptions) {
    self.explicitPath = explicitPath
    self.options = options
  }

  /// The configuration for a file: `--config` or the nearest `.kubeharden.yaml` above it, then flags.
  func configuration(for input: Input) throws(ConfigurationError) -> Configuration {
    let configPath: String?
    if let explicitPath {
      configPath = explicitPath
    } else {
      let folder = input.isStdin ? FileManager.default.currentDirectoryPath : FileIO.folder(of: input.path)
      lock.lock()
      let known = found[folder]
      lock.unlock()
      if let known {
        configPath = known
      } else {
        configPath = ConfigurationResolver.find(from: folder)
        lock.lock()
        found[folder] = .some(configPath)
        lock.unlock()
      }
    }
    let key = configPath ?? ""
    lock.lock()
    if let cached = cache[key] {
      lock.unlock()
      return cached
    }
    lock.unlock()
    var configuration = Configuration()
    if let configPath {
      guard let data = FileManager.default.contents(atPath: configPath) else {
        throw ConfigurationError("\(configPath): cannot read the configuration file")
      }
      try configuration.apply(configFile: Array(data), path: configPath)
      configuration.baseDirectory = (configPath as NSString).deletingLastPathComponent
    }
    try options.apply(to: &configuration)
    lock.lock()
    cache[key] = configuration
    lock.unlock()
    return configuration
  }

  static func find(from directory: String) -> String? {
    var url = URL(fileURLWithPath: directory).standardizedFileURL
    for _ in 0..<64 {
      let candidate = url.appendingPathComponent(".kubeharden.yaml").path
      if FileManager.default.fileExists(atPath: candidate) { return candidate }
      let parent = url.deletingLastPathComponent()
      if parent.path == url.path { return nil }
      url = parent
    }
    return nil
  }

  /// Whether `path` matches an `exclude` pattern of its configuration.
  static func isExcluded(_ path: String, by configuration: Configuration) -> Bool {
    guard !configuration.exclude.isEmpty else { return false }
    let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
    var relative = absolute
    if let base = configuration.baseDirectory {
      let baseURL = URL(fileURLWithPath: base.isEmpty ? "." : base).standardizedFileURL.path
      if absolute.hasPrefix(baseURL + "/") { relative = String(absolute.dropFirst(baseURL.count + 1)) }
    }
    return configuration.exclude.contains { Glob.matches($0, relative) || Glob.matches($0, (relative as NSString).lastPathComponent) }
  }
}

/// Minimal glob matching: `*` (no `/`), `**` (any depth), `?`.
enum Glob {
  static func matches(_ pattern: String, _ path: String) -> Bool {
    match(Array(pattern.utf8)[...], Array(path.utf8)[...])
  }

  static func match(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
    guard let first = p.first else { return s.isEmpty }
    if first == UInt8(ascii: "*") {
      let doubleStar = p.dropFirst().first == UInt8(ascii: "*")
      var rest = p.dropFirst(doubleStar ? 2 : 1)
      if doubleStar, rest.first == UInt8(ascii: "/") { rest = rest.dropFirst() }
      var i = s.startIndex
      while true {
        if match(rest, s[i...]) { return true }
        if doubleStar, i < s.endIndex, match(rest, s[(i)...].drop(while: { $0 != UInt8(ascii: "/") }).dropFirst()) { return true }
        guard i < s.endIndex, doubleStar || s[i] != UInt8(ascii: "/") else { return false }
        i += 1
      }
    }
    guard let c = s.first else { return false }
    if first == UInt8(ascii: "?") ? c != UInt8(ascii: "/") : first == c {
      return match(p.dropFirst(), s.dropFirst())
    }
    return false
  }
}
