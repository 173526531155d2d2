import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file-system problem for one file.
struct FileIOError: Error, CustomStringConvertible {
  var description: String
}

/// Reading and atomic writing of files.
enum FileIO {
  static func read(_ path: String, limit: Int) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw FileIOError(description: "cannot read: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    return try read(fd: fd, limit: limit)
  }

  /// Reads a descriptor to its end straight into one buffer (no intermediate copies).
  static func read(fd: Int32, limit: Int) throws -> [UInt8] {
    var info = stat()
    var bytes: [UInt8] = []
    if fstat(fd, &info) == 0 {
      if Int(info.st_size) > limit {
        throw FileIOError(description: "file is \(info.st_size) bytes, larger than the limit of \(limit) bytes")
      }
      if info.st_size > 0 { bytes.reserveCapacity(Int(info.st_size) + 1) }
    }
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        throw FileIOError(description: "cannot read: \(String(cString: strerror(errno)))")
      }
      if n == 0 { break }
      bytes.append(contentsOf: buffer[0..<n])
      if bytes.count > limit { throw FileIOError(description: "file is larger than the limit of \(limit) bytes") }
    }
    return bytes
  }

  /// Writes all of `bytes` to a descriptor.
  static func write(fd: Int32, _ bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
      let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        throw FileIOError(description: "cannot write: \(String(cString: strerror(errno)))")
      }
      offset += n
    }
  }

  /// A hook for tests: called with the file's path after its temporary file is written, before the
  /// rename. If it throws, the temporary file is removed and the original stays untouched.
  nonisolated(unsafe) static var beforeRename: ((String) throws -> Void)? = {
    if let failing = ProcessInfo.processInfo.environment["KUBEHARDEN_TEST_FAIL_WRITE"], !failing.isEmpty {
      return { path in
        if path.hasSuffix(failing) { throw FileIOError(description: "injected write failure") }
      }
    }
    return nil
  }()

  /// Writes `bytes` to `path` atomically: a temporary file in the same folder, fsync, the
  /// original's mode, then rename over the original. A symlink is followed and its target
  /// rewritten. The original is expected to exist and to hold `expected` (else the write is refused).
  /// A hook for tests: deletes the file named by `KUBEHARDEN_TEST_DELETE_BEFORE_WRITE` (a path
  /// suffix) after it was read and fixed, just before it is written, as another process might.
  nonisolated(unsafe) static var deleteBeforeWrite: String? = {
    let suffix = ProcessInfo.processInfo.environment["KUBEHARDEN_TEST_DELETE_BEFORE_WRITE"]
    return suffix?.isEmpty == false ? suffix : nil
  }()

  static func writeAtomically(_ bytes: [UInt8], to path: String, expected: [UInt8]) throws {
    if let suffix = deleteBeforeWrite, path.hasSuffix(suffix) { unlink(path) }
    let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    var info = stat()
    guard stat(target, &info) == 0 else {
      throw FileIOError(description: "the file vanished before it could be written")
    }
    guard access(target, W_OK) == 0 else { throw FileIOError(description: "cannot write: permission denied") }
    // Re-read: if someone changed the file since we read it, do not overwrite their change.
    if let current = try? read(target, limit: Int.max), current != expected {
      throw FileIOError(description: "the file changed while kubeharden was working on it; run again")
    }
    let directory = (target as NSString).deletingLastPathComponent
    let name = (target as NSString).lastPathComponent
    var template = Array(((directory.isEmpty ? "." : directory) + "/." + name + ".kubeharden-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { throw FileIOError(description: "cannot create a temporary file: \(String(cString: strerror(errno)))") }
    let tempPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var renamed = false
    defer {
      if !renamed { unlink(tempPath) }
    }
    do {
      defer { close(fd) }
      try write(fd: fd, bytes)
      guard fchmod(fd, info.st_mode & 0o7777) == 0 else {
        throw FileIOError(description: "cannot keep the file mode: \(String(cString: strerror(errno)))")
      }
      _ = fchown(fd, info.st_uid, info.st_gid)
      guard fsync(fd) == 0 else { throw FileIOError(description: "cannot flush: \(String(cString: strerror(errno)))") }
    }
    try beforeRename?(target)
    guard rename(tempPath, target) == 0 else {
      throw FileIOError(description: "cannot replace the file: \(String(cString: strerror(errno)))")
    }
    renamed = true
  }
}
