package app.vigil.android

import android.app.NotificationChannel
import android.app.NotificationManager
import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import androidx.lifecycle.DefaultLifecycleObserver
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ProcessLifecycleOwner
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.NetworkType
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import app.vigil.core.model.SyncTrigger
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.util.concurrent.TimeUnit

/**
 * Wakes the core's sync loop; the core decides whether and when to sync (one at a time,
 * backoff). Triggers: network available, app to foreground, a local change (the presenters'
 * saves, through [wake]), and a periodic WorkManager job with a CONNECTED constraint that
 * Doze runs in its maintenance windows. Every wake runs on Dispatchers.IO; a locked store
 * simply does not sync.
 */
class SyncWiring(private val app: VigilApplication, private val scope: CoroutineScope) {

    fun start() {
        val cm = app.getSystemService(ConnectivityManager::class.java)
        cm.registerDefaultNetworkCallback(object : ConnectivityManager.NetworkCallback() {
            override fun onAvailable(network: Network) = wake(SyncTrigger.NETWORK_AVAILABLE)
        })
        ProcessLifecycleOwner.get().lifecycle.addObserver(object : DefaultLifecycleObserver {
            override fun onStart(owner: LifecycleOwner) = wake(SyncTrigger.FOREGROUND)
        })
        val periodic = PeriodicWorkRequestBuilder<SyncWorker>(15, TimeUnit.MINUTES)
            .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
            .build()
        WorkManager.getInstance(app).enqueueUniquePeriodicWork("vigil-sync", ExistingPeriodicWorkPolicy.KEEP, periodic)
        val channel = NotificationChannel(CHANNEL, app.getString(R.string.sync_channel), NotificationManager.IMPORTANCE_LOW)
        app.getSystemService(NotificationManager::class.java).createNotificationChannel(channel)
    }

    /** On a metered network (mobile data, a hotspot) text still syncs at once. */
    fun metered(): Boolean {
        val cm = app.getSystemService(ConnectivityManager::class.java)
        val caps = cm.getNetworkCapabilities(cm.activeNetwork) ?: return true
        return !caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_NOT_METERED)
    }

    fun wake(trigger: SyncTrigger) {
        scope.launch(Dispatchers.IO) { app.wakeSync(trigger) }
    }

    companion object {
        const val CHANNEL = "sync"
    }
}

/** The periodic wake. Returns success either way: the core keeps its own retry schedule. */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val app = applicationContext as VigilApplication
        withContext(Dispatchers.IO) { app.wakeSync(SyncTrigger.PERIODIC) }
        return Result.success()
    }
}
