// The Android build (Gradle, AGP). Needs the Android SDK, NDK r28+ and cargo-ndk: see README.md.
// presentation/ and ui/ are plain Kotlin sources shared with the Maven build used on machines
// without the SDK; here they compile into the app module (see app/build.gradle.kts).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "vigil-android"
include(":app")
