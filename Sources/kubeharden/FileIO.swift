import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

#if os(Linux)
  /// `int syncfs(int fd)` from glibc (declared only under _GNU_SOURCE, so not in the Glibc module).
  @_silgen_name("syncfs") func linuxSyncfs(_ fd: Int32) -> Int32
#endif

/// A buffer's address handed to concurrent workers that fill disjoint ranges of it.
struct UnsafeSendableAddress: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<UInt8>?
  init(_ pointer: UnsafeMutablePointer<UInt8>?) { self.pointer = pointer }
}

/// A file-system problem for one file.
struct FileIOError: Error, CustomStringConvertible {
  var description: String

  /// A write not made because the run was interrupted: the file is simply left as it was.
  static let interrupted = FileIOError(description: "interrupted before it was written")
}

/// What a file looked like when it was read: if any of it differs later, someone else wrote the
/// file in between (or deleted, replaced or truncated it).
struct FileIdentity: Sendable, Equatable {
  var device: UInt64
  var inode: UInt64
  var size: Int64
  var modified: timespec
  var changed: timespec
  /// Not part of the identity (a change of any shows in `changed`): what a rewrite keeps.
  var mode: mode_t
  var owner: uid_t
  var group: gid_t

  init(_ info: stat) {
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
    size = Int64(info.st_size)
    modified = info.st_mtim
    changed = info.st_ctim
    mode = info.st_mode
    owner = info.st_uid
    group = info.st_gid
  }

  static func == (a: FileIdentity, b: FileIdentity) -> Bool {
    a.device == b.device && a.inode == b.inode && a.size == b.size && a.modified.tv_sec == b.modified.tv_sec
      && a.modified.tv_nsec == b.modified.tv_nsec && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
  }
}

/// A fixed file written in full to a temporary file next to its target, waiting for `commit`.
struct PendingWrite: Sendable {
  /// Which report it belongs to, for errors found at commit time.
  var index: Int
  var temporary: String
  var target: String
  var identity: FileIdentity
}

/// Reading and atomic writing of files.
///
/// `fix` writes in two steps, so that one flush covers thousands of files instead of one per
/// file: each worker writes the fixed text to a temporary file beside the original
/// (`prepareWrite`); when every file is processed, `commit` flushes each file system once
/// (`syncfs`), then renames every temporary file over its original if the original is still
/// the file that was read, then flushes the folders. Every file is at all times either its
/// original or its complete fix, on disk as well (a crash never leaves a half-written or
/// empty file); an interrupted run removes its temporary files and renames nothing more.
enum FileIO {
  static func read(_ path: String, limit: Int) throws -> [UInt8] {
    try readFile(path, limit: limit).bytes
  }

  /// Reads a file and what it looked like when read (for the check before replacing it).
  static func readFile(_ path: String, limit: Int) throws -> (bytes: [UInt8], identity: FileIdentity) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FileIOError(description: "cannot read: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw FileIOError(description: "cannot read: \(String(cString: strerror(errno)))") }
    return (try read(fd: fd, limit: limit, info: info), FileIdentity(info))
  }

  /// Reads a descriptor to its end. A regular file is read straight into a buffer of its size
  /// (a file that grows meanwhile changes its identity, so it is not replaced).
  static func read(fd: Int32, limit: Int, info known: stat? = nil) throws -> [UInt8] {
    var info = known ?? stat()
    if known == nil && fstat(fd, &info) != 0 { info.st_size = 0 }
    if Int(info.st_size) > limit {
      throw FileIOError(description: "file is \(info.st_size) bytes, larger than the limit of \(limit) bytes")
    }
    if info.st_mode & S_IFMT == S_IFREG && info.st_size > 0 {
      let size = Int(info.st_size)
      if size >= 8 << 20, let bytes = try readInRanges(fd: fd, size: size) { return bytes }
      var failure: Int32 = 0
      let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
        while count < size {
          let n = Glibc.read(fd, buffer.baseAddress! + count, size - count)
          if n < 0 && errno == EINTR { continue }
          if n < 0 { failure = errno }
          if n <= 0 { break }
          count += n
        }
      }
      if failure != 0 { throw FileIOError(description: "cannot read: \(String(cString: strerror(failure)))") }
      return bytes
    }
    var bytes: [UInt8] = []
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

  /// A large regular file (a stream on standard input) read in one range per core, from the
  /// descriptor's offset: the copy and the first touch of each page of the buffer are shared
  /// out (a 52 MB stream: 25 ms to 15 ms). Nil when a range comes short (the file shrank, or the
  /// descriptor cannot seek): the caller then reads it in order.
  static func readInRanges(fd: Int32, size fileSize: Int) throws -> [UInt8]? {
    let start = lseek(fd, 0, SEEK_CUR)
    let ranges = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    let size = fileSize - Int(start)  // what is left from the descriptor's offset
    guard start >= 0, ranges > 1, size > 0 else { return nil }
    let failure = Mutex<Int32>(0)
    let complete = Mutex<Int>(0)
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
      let base = UnsafeSendableAddress(buffer.baseAddress)
      DispatchQueue.concurrentPerform(iterations: ranges) { index in
        guard let pointer = base.pointer else { return }
        let lower = size / ranges * index
        let upper = index == ranges - 1 ? size : size / ranges * (index + 1)
        var done = lower
        while done < upper {
          let n = pread(fd, pointer + done, upper - done, off_t(Int(start) + done))
          if n < 0 && errno == EINTR { continue }
          if n < 0 { failure.withLock { $0 = errno } }
          if n <= 0 { break }
          done += n
        }
        if done == upper { complete.withLock { $0 += 1 } }
      }
      count = complete.withLock { $0 } == ranges ? size : 0
    }
    if let error = failure.withLock({ $0 == 0 ? nil : $0 }) {
      throw FileIOError(description: "cannot read: \(String(cString: strerror(error)))")
    }
    guard bytes.count == size else { return nil }
    // The bytes were read at offsets: leave the descriptor where a plain read would have.
    _ = lseek(fd, off_t(Int(start) + size), SEEK_SET)
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

  /// A hook for tests: deletes the file named by `KUBEHARDEN_TEST_DELETE_BEFORE_WRITE` (a path
  /// suffix) after it was read and fixed, just before it is written, as another process might.
  nonisolated(unsafe) static var deleteBeforeWrite: String? = {
    let suffix = ProcessInfo.processInfo.environment["KUBEHARDEN_TEST_DELETE_BEFORE_WRITE"]
    return suffix?.isEmpty == false ? suffix : nil
  }()

  /// The process's file-creation mask (read once; reading it means setting it).
  static let creationMask: mode_t = {
    let mask = umask(0o022)
    umask(mask)
    return mask
  }()

  /// Temporary files are named `.<name>.kubeharden-<pid>-<serial>`, beside their target.
  static let temporaryMarker = ".kubeharden-"

  static func temporaryName(for name: String, serial: Int) -> String { "." + name + temporaryMarker + "\(processID)-\(serial)" }

  /// The process that wrote a temporary file, read from its name (nil: not such a name).
  static func temporaryFileWriter(_ name: String) -> Int32? {
    guard let marker = name.range(of: temporaryMarker, options: .backwards) else { return nil }
    let parts = name[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, let pid = Int32(parts[0]), pid > 0, Int(parts[1]) != nil else { return nil }
    return pid
  }

  static let temporaryCounter = Atomic<Int>(0)
  static let processID = getpid()
  static let user = geteuid()
  static let group = getegid()

  /// Writes the fixed text of `path` to a new temporary file in the same folder, with the
  /// original's mode (and owner, where allowed). A symlink is followed: its target gets the fix.
  /// Refused when the file is read-only; whether it vanished or changed since it was read is
  /// checked by `commit`, right before the rename.
  ///
  /// Few system calls per file: the mode and owner come from the read, `lstat` only when the
  /// path may be a link, `access` only when the mode bits do not already say the owner may write.
  static func prepareWrite(_ bytes: [UInt8], to path: String, identity: FileIdentity, mayBeLink: Bool, index: Int) throws
    -> PendingWrite
  {
    if let suffix = deleteBeforeWrite, path.hasSuffix(suffix) { unlink(path) }
    var target = path
    if mayBeLink {
      var link = stat()
      if lstat(path, &link) == 0 && link.st_mode & S_IFMT == S_IFLNK { target = InputCollector.realPath(path) }
    }
    let ownerMayWrite = identity.owner == FileIO.user && identity.mode & 0o200 != 0
    if !ownerMayWrite {
      guard access(target, W_OK) == 0 else {
        if errno == ENOENT { throw FileIOError(description: "the file vanished before it could be written") }
        throw FileIOError(description: "cannot write: permission denied")
      }
    }
    let directory = folder(of: target)
    let name = target.utf8.lastIndex(of: UInt8(ascii: "/")).map { String(target[target.index(after: $0)...]) } ?? target
    let mode = identity.mode & 0o7777
    var temporary = ""
    var fd: Int32 = -1
    while fd < 0 {
      let serial = temporaryCounter.wrappingAdd(1, ordering: .relaxed).newValue
      temporary = (directory == "/" ? "" : directory) + "/" + temporaryName(for: name, serial: serial)
      fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
      if fd < 0 && errno != EEXIST {
        throw FileIOError(description: "cannot create a temporary file: \(String(cString: strerror(errno)))")
      }
    }
    do {
      defer { close(fd) }
      try write(fd: fd, bytes)
      if mode & ~creationMask != mode {
        guard fchmod(fd, mode) == 0 else {
          throw FileIOError(description: "cannot keep the file mode: \(String(cString: strerror(errno)))")
        }
      }
      if identity.owner != FileIO.user || identity.group != FileIO.group { _ = fchown(fd, identity.owner, identity.group) }
      #if !os(Linux)
        guard fsync(fd) == 0 else { throw FileIOError(description: "cannot flush: \(String(cString: strerror(errno)))") }
      #endif
    } catch {
      unlink(temporary)
      throw error
    }
    return PendingWrite(index: index, temporary: temporary, target: target, identity: identity)
  }

  /// Replaces the originals with their prepared temporary files (see the type's comment).
  /// Returns the error of each write that did not happen, by report index; its temporary file
  /// is removed and its original untouched. `isInterrupted` is asked before each rename.
  static func commit(_ pending: [PendingWrite], isInterrupted: @Sendable () -> Bool) -> [Int: FileIOError] {
    guard !pending.isEmpty else { return [:] }
    var failures: [Int: FileIOError] = [:]
    // 1. One flush per file system: every temporary file is on disk before any rename.
    var flushed: [UInt64: Int32] = [:]
    for write in pending {
      let device = write.identity.device
      guard flushed[device] == nil else { continue }
      let fd = open(folder(of: write.temporary), O_RDONLY | O_CLOEXEC)
      flushed[device] = fd >= 0 && flushFileSystem(fd) == 0 ? 0 : errno
      if fd >= 0 { close(fd) }
    }
    var flushedWrites: [PendingWrite] = []
    for write in pending {
      if let error = flushed[write.identity.device], error != 0 {
        unlink(write.temporary)
        failures[write.index] = FileIOError(description: "cannot flush: \(String(cString: strerror(error)))")
      } else {
        flushedWrites.append(write)
      }
    }
    let ready = flushedWrites
    // 2. The renames, on all cores.
    let results = Mutex<[Int: FileIOError]>([:])
    let chunk = 64
    DispatchQueue.concurrentPerform(iterations: (ready.count + chunk - 1) / chunk) { part in
      for write in ready[(part * chunk)..<min(ready.count, (part + 1) * chunk)] {
        if let error = rename(write, interrupted: isInterrupted()) { results.withLock { $0[write.index] = error } }
      }
    }
    failures.merge(results.withLock { $0 }) { first, _ in first }
    // 3. The folders, so that the renames are on disk too.
    for folder in Set(ready.map { folder(of: $0.target) }) {
      let fd = open(folder, O_RDONLY | O_CLOEXEC)
      if fd >= 0 {
        _ = fsync(fd)
        close(fd)
      }
    }
    return failures
  }

  /// Renames one prepared file over its original, unless the run was interrupted or the
  /// original changed since it was read.
  static func rename(_ write: PendingWrite, interrupted: Bool) -> FileIOError? {
    var renamed = false
    defer {
      if !renamed { unlink(write.temporary) }
    }
    if interrupted { return .interrupted }
    do {
      try beforeRename?(write.target)
    } catch {
      return error as? FileIOError ?? FileIOError(description: "\(error)")
    }
    var info = stat()
    guard stat(write.target, &info) == 0 else { return FileIOError(description: "the file vanished before it could be written") }
    guard FileIdentity(info) == write.identity else {
      return FileIOError(description: "the file changed while kubeharden was working on it; run again")
    }
    guard Glibc.rename(write.temporary, write.target) == 0 else {
      return FileIOError(description: "cannot replace the file: \(String(cString: strerror(errno)))")
    }
    renamed = true
    return nil
  }

  /// Removes prepared temporary files (an interrupted run).
  static func discard(_ pending: [PendingWrite]) {
    for write in pending { unlink(write.temporary) }
  }

  /// Flushes the whole file system holding `fd` (Linux `syncfs`, which the Glibc module does
  /// not export). Elsewhere each temporary file was flushed when written.
  static func flushFileSystem(_ fd: Int32) -> Int32 {
    #if os(Linux)
      return linuxSyncfs(fd)
    #else
      return 0
    #endif
  }

  /// The folder of a path as written: "." for a bare name, "/" at the root; repeated and
  /// trailing slashes ignored (like NSString's deletingLastPathComponent, without Foundation:
  /// this runs for every file of a tree).
  static func folder(of path: String) -> String {
    var utf8 = Array(path.utf8)
    while utf8.count > 1 && utf8.last == UInt8(ascii: "/") { utf8.removeLast() }
    guard let slash = utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
    var end = slash
    while end > 0 && utf8[end - 1] == UInt8(ascii: "/") { end -= 1 }
    return end == 0 ? "/" : String(decoding: utf8[..<end], as: UTF8.self)
  }
}
