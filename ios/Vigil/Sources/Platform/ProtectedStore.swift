import Foundation

/// Where the store lives: Application Support/Vigil/store, created 0700 with
/// `NSFileProtectionComplete` (unreadable while the phone is locked; the entitlement makes
/// it the app's default too) and excluded from iCloud and iTunes backups. Photos from the
/// camera wait in `pending` (same protection) only until the core has sealed them.
enum ProtectedStore {
    static func directory() throws -> URL {
        let base = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
        var vigil = base.appendingPathComponent("Vigil", isDirectory: true)
        try protect(&vigil)
        var store = vigil.appendingPathComponent("store", isDirectory: true)
        try protect(&store)
        return store
    }

    /// A folder for files the camera wrote, before the core seals them into the store.
    static func pending() throws -> URL {
        let base = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
        var dir = base.appendingPathComponent("Vigil/pending", isDirectory: true)
        try protect(&dir)
        return dir
    }

    /// Where evidence bundles are written before the share sheet hands them on.
    static func exports() throws -> URL {
        let base = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
        var dir = base.appendingPathComponent("Vigil/export", isDirectory: true)
        try protect(&dir)
        return dir
    }

    private static func protect(_ url: inout URL) throws {
        let fm = FileManager.default
        if !fm.fileExists(atPath: url.path) {
            try fm.createDirectory(at: url, withIntermediateDirectories: true, attributes: [
                .protectionKey: FileProtectionType.complete,
                .posixPermissions: 0o700,
            ])
        }
        try fm.setAttributes([.protectionKey: FileProtectionType.complete, .posixPermissions: 0o700], ofItemAtPath: url.path)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try url.setResourceValues(values)
    }
}
