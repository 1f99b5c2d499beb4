package app.vigil.presentation

import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.test.StandardTestDispatcher
import kotlinx.coroutines.test.TestScope
import kotlinx.coroutines.test.advanceTimeBy
import kotlinx.coroutines.test.runCurrent
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import kotlin.test.assertFalse
import kotlin.test.assertTrue

@OptIn(ExperimentalCoroutinesApi::class)
class AutoLockTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `locks the real store after the idle time, a touch restarts the wait`() {
        Harness(dir, create = true).use { h ->
            val dispatcher = StandardTestDispatcher()
            val scope = TestScope(dispatcher)
            // Virtual time: the five minutes pass instantly and exactly.
            val auto = AutoLock(h.vigil, scope, timeoutMs = 300_000, io = dispatcher)
            auto.touch()
            scope.advanceTimeBy(299_000)
            scope.runCurrent()
            auto.touch()
            scope.advanceTimeBy(299_000)
            scope.runCurrent()
            assertTrue(h.vigil.isUnlocked(), "touched within the window")
            assertFalse(auto.locked.value)
            scope.advanceTimeBy(2_000)
            scope.runCurrent()
            assertTrue(auto.locked.value)
            assertFalse(h.vigil.isUnlocked())
        }
    }
}
