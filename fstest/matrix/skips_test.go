package matrix

// expectedSkips lists, per suite, every test that skips itself against
// this backend, with the reason it logs. Each skips for rclone's built-in
// putio too: it runs only on the local backend or on Windows, gitannex's
// end-to-end tests refuse a -remote, or it needs what neither backend
// has (folder modification times or metadata, user metadata, partial
// uploads, OpenWriterAt, MD5, case-insensitive names). TestMatrix fails on
// a skip missing here, on another reason, and on an entry that no longer
// skips, so the list cannot drift.
var expectedSkips = map[string]map[string]string{
	"cmd/bisync": bisyncSkips(),
	"cmd/gitannex": {
		"TestEndToEnd":                 "Skipping because fstest remote was specified.",
		"TestEndToEndMigration":        "Skipping because fstest remote was specified.",
		"TestEndToEndRepoLayoutCompat": "Skipping because fstest remote was specified.",
		"TestWindowsFilepathRelQuirk":  "",
	},
	"fs/operations": {
		"TestCaseInsensitiveMoveWithoutServerSideMove": "remote is case sensitive",
		"TestCheckSum":                  "lacks md5, skipping",
		"TestCopyDirMetadata":           "Skipping test as remote does not support WriteDirMetadata or MkdirMetadata",
		"TestCopyInplace":               "Partial uploads not supported",
		"TestCopyLongFile":              "Test only runs on local",
		"TestCopyLongFileName":          "Partial uploads not supported",
		"TestCopyLongFileNameCollision": "Partial uploads not supported",
		"TestDirMoveContext":            "Skipping test on non local remote",
		"TestDirMoveMoveError":          "Skipping test on non local remote",
		"TestDirsEqual":                 "Skipping test as remote does not support WriteDirMetadata or MkdirMetadata",
		"TestIndexNoHash":               "Skipping test on non local remote",
		"TestMkdirMetadata":             "Skipping test as remote does not support MkdirMetadata",
		"TestMkdirModTime":              "Skipping test as remote does not support DirSetModTime or MkdirMetadata",
		"TestMultithreadCopy":           "multithread writing not supported",
		"TestMultithreadCopyAbort":      "multithread writing not supported",
		"TestRcAbout":                   "Skipping test on non local remote",
		"TestRcCheck":                   "Skipping test on non local remote",
		"TestRcCleanup":                 "Skipping test on non local remote",
		"TestRcCommand":                 "Skipping test on non local remote",
		"TestRcCopyfile":                "Skipping test on non local remote",
		"TestRcCopyurl":                 "Skipping test on non local remote",
		"TestRcDelete":                  "Skipping test on non local remote",
		"TestRcDeletefile":              "Skipping test on non local remote",
		"TestRcDeletefileBackupDir":     "Skipping test on non local remote",
		"TestRcDu":                      "Skipping test on non local remote",
		"TestRcFsInfo":                  "Skipping test on non local remote",
		"TestRcGetFile":                 "Skipping test on non local remote",
		"TestRcHashsum":                 "Skipping test on non local remote",
		"TestRcHashsumFile":             "Skipping test on non local remote",
		"TestRcHashsumSingleFile":       "Skipping test on non local remote",
		"TestRcIndex":                   "Skipping test on non local remote",
		"TestRcList":                    "Skipping test on non local remote",
		"TestRcMkdir":                   "Skipping test on non local remote",
		"TestRcMovefile":                "Skipping test on non local remote",
		"TestRcPublicLink":              "Skipping test on non local remote",
		"TestRcPurge":                   "Skipping test on non local remote",
		"TestRcRmdir":                   "Skipping test on non local remote",
		"TestRcRmdirs":                  "Skipping test on non local remote",
		"TestRcSetTier":                 "Skipping test on non local remote",
		"TestRcSetTierFile":             "Skipping test on non local remote",
		"TestRcSize":                    "Skipping test on non local remote",
		"TestRcStat":                    "Skipping test on non local remote",
		"TestRcatMetadata":              "Skipping as destination doesn't support user metadata",
		"TestRcatSizeMetadata":          "Skipping as destination doesn't support user metadata",
		"TestSetDirModTime":             "Skipping test as remote does not support DirSetModTime or WriteDirSetModTime",
		"TestUploadFile":                "Skipping test on non local remote",
	},
	"fs/sync": {
		"TestCopyNoTraverseDeadlock":   "Only runs on local",
		"TestFixCase":                  "Skipping test as local or remote are case-sensitive",
		"TestMaxTransfer/Cautious":     "This test only runs on local",
		"TestMaxTransfer/Hard":         "This test only runs on local",
		"TestMaxTransfer/Soft":         "This test only runs on local",
		"TestRcCopy":                   "Skipping test on non local remote",
		"TestRcCopyReports":            "Skipping test on non local remote",
		"TestRcMove":                   "Skipping test on non local remote",
		"TestRcSync":                   "Skipping test on non local remote",
		"TestServerSideMoveOverlap":    "Skipping test as remote supports DirMove",
		"TestSyncNoUpdateDirModtime":   "Skipping test as backend does not support DirSetModTime",
		"TestSyncSetDelayedModTimes":   "Backend doesn't have DirModTimeUpdatesOnWrite set",
		"TestSyncSetDirModTimeOnce":    "Skipping test as remote does not support DirSetModTime",
		"TestSyncWithMaxDuration/Hard": "Skipping test on non local remote",
		"TestSyncWithMaxDuration/Soft": "Skipping test on non local remote",
	},
	"vfs": {
		"TestDirEntryModTimeInvalidation": "Need DirModTimeUpdatesOnWrite",
		"TestFunctional":                  "Skip on non local",
		"TestRcForget":                    "Skipping test on non local remote",
		"TestRcList":                      "Skipping test on non local remote",
		"TestRcPollInterval":              "Skipping test on non local remote",
		"TestRcRefresh":                   "Skipping test on non local remote",
		"TestRcStats":                     "Skipping test on non local remote",
		"TestWriteFileHandleReadonly":     "Skipping test on non local remote",
	},
}

// nonLocal is the reason rclone's tests give for running only on local.
const nonLocal = "Skipping test on non local remote"

// bisyncSkips are cmd/bisync's skips: two of its scenario cases in each
// direction (backupdir uses the local workdir; volatile uploads 100 files),
// its concurrency test, and its rc and listing unit tests, which run only
// without -remote.
func bisyncSkips() map[string]string {
	skips := map[string]string{
		"TestBisyncCloseModtimes": nonLocal,
		"TestBisyncConcurrent":    "TestBisyncConcurrent is skipped on non-local",
	}
	for _, direction := range bisyncDirections {
		skips[direction+"/backupdir"] = "backupdir test currently only works on local"
		skips[direction+"/volatile"] = "skipping 'volatile' test on non-local"
	}
	for test, cases := range map[string][]string{
		"TestRcBackupDir": {"backupDir1", "backupDir2", "backupdir1", "backupdir2"},
		"TestRcDryRun":    {"_config", "_config_and_dryRun_false", "dryRun", "dryRun_false", "dry_run", "dry_run_and_dryRun_false"},
		"TestRcEnums":     {"checkSync_only", "conflictResolve_and_conflictLoser", "conflict_defaults", "resyncMode_default", "resyncMode_path2"},
		"TestRcFlagParity": {"backupDir1", "backupDir2", "checkAccess", "checkFilename", "checkSync", "compare", "conflictLoser",
			"conflictResolve", "conflictSuffix", "createEmptySrcDirs", "downloadHash", "filtersFile", "force", "ignoreListingChecksum",
			"maxDeleteRenamesAware", "maxLock", "noCleanup", "noSlowHash", "recover", "removeEmptyDirs", "resilient", "resync",
			"resyncMode", "slowHashSyncOnly", "workdir"},
		"TestRcInvalidParams":    {"checkSync", "conflictResolve", "filtersFile", "force", "maxDeleteRenamesAware", "maxLock"},
		"TestRcMaxDelete":        {"_config_MaxDelete_aborts", "default", "maxDelete", "max_delete_aborts", "max_delete_allows", "max_delete_over_100"},
		"TestRcMaxDeleteFromRcd": {"5", "500"},
	} {
		for _, name := range cases {
			skips[test+"/"+name] = nonLocal
		}
	}
	return skips
}
