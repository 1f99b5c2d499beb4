package app.vigil.tests

import java.nio.file.Files
import java.nio.file.Path

fun pass(s: String): ByteArray = s.toByteArray(Charsets.UTF_8)

/** Every regular file under [dir], recursively. */
fun filesUnder(dir: Path): List<Path> =
    Files.walk(dir).use { s -> s.filter { Files.isRegularFile(it) }.toList() }

/** True if [needle] occurs anywhere in [hay]. */
fun contains(hay: ByteArray, needle: ByteArray): Boolean {
    if (needle.isEmpty() || hay.size < needle.size) return false
    outer@ for (i in 0..hay.size - needle.size) {
        for (j in needle.indices) if (hay[i + j] != needle[j]) continue@outer
        return true
    }
    return false
}

/**
 * Asserts that [block] throws a [T] and returns it. (Debian's JUnit is built without
 * its Kotlin extensions, so this stands in for `org.junit.jupiter.api.assertThrows`.)
 */
inline fun <reified T : Throwable> assertThrows(block: () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.simpleName}, got ${e::class.qualifiedName}: ${e.message}", e)
    }
    throw AssertionError("expected ${T::class.simpleName}, nothing was thrown")
}

/** [block] running on a new thread, started at once; [join] gives what it threw, if anything. */
class Background(block: () -> Unit) {
    @Volatile
    private var thrown: Throwable? = null
    private val thread = Thread {
        try {
            block()
        } catch (t: Throwable) {
            thrown = t
        }
    }.also { it.start() }

    val isAlive: Boolean get() = thread.isAlive

    /** Waits up to [ms] for the thread to end; then what it threw, or null. */
    fun join(ms: Long): Throwable? {
        thread.join(ms)
        return thrown
    }
}
