using System.Diagnostics;
using Overlay.Testing;

namespace Overlay.Vici.Tests.Support;

/// <summary>
/// A real charon (strongSwan's IKE daemon) for the privileged tests: started inside its own network namespace
/// (<c>ovl-&lt;pid&gt;-vici-…</c>, so nothing reaches the host's network) with a private <c>/run</c> (a tmpfs in its
/// own mount namespace, for the pid file) and its own strongswan.conf whose VICI socket lies in a temporary
/// directory the test can reach. <see cref="KillAsync"/> and <see cref="StartAsync"/> let a test restart it.
/// </summary>
internal sealed class LiveCharon : IAsyncDisposable
{
    public const string Binary = "/usr/lib/ipsec/charon";
    private static int s_next;
    private readonly string _directory;
    private readonly string _namespace;
    private Process? _process;

    private LiveCharon()
    {
        _directory = Directory.CreateTempSubdirectory("ovl-vici-live-").FullName;
        _namespace = $"ovl-{Environment.ProcessId}-vici-{Interlocked.Increment(ref s_next)}";
        SocketPath = Path.Combine(_directory, "charon.vici");
        File.WriteAllText(Path.Combine(_directory, "strongswan.conf"), $$"""
            charon {
              load = random nonce aes sha1 sha2 md5 hmac gmp kdf pem pkcs1 x509 pubkey socket-default kernel-netlink vici
              install_routes = no
              plugins { vici { socket = unix://{{SocketPath}} } }
            }
            """);
    }

    public string SocketPath { get; }

    /// <summary>Skips locally (fails under CI) without root or strongSwan; test.sh installs strongSwan.</summary>
    public static void Require()
    {
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "needs root to run charon in a network namespace");
        if (!File.Exists(Binary))
        {
            Assert.SkipWhen(Environment.GetEnvironmentVariable("CI") != "true", "strongSwan's charon is not installed; run ./test.sh as root (it installs strongswan-charon)");
            Assert.Fail($"{Binary} is missing under CI: test.sh should have installed strongswan-charon");
        }
    }

    public static async Task<LiveCharon> CreateAsync(CancellationToken cancellationToken)
    {
        var charon = new LiveCharon();
        try
        {
            await Shell.IpAsync("netns", "add", charon._namespace);
            await charon.StartAsync(cancellationToken);
            return charon;
        }
        catch
        {
            await charon.DisposeAsync();
            throw;
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        File.Delete(SocketPath);
        var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "netns", "exec", _namespace, "unshare", "-m", "sh", "-c",
            $"mount -t tmpfs tmpfs /run && STRONGSWAN_CONF={_directory}/strongswan.conf exec {Binary}" })
        {
            info.ArgumentList.Add(a);
        }

        _process = Process.Start(info)!; // ip netns exec, unshare and sh exec in turn: this is charon
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (int i = 0; i < 100 && !File.Exists(SocketPath); i++)
        {
            Assert.False(_process.HasExited, "charon exited at start-up");
            await Task.Delay(50, cancellationToken);
        }

        Assert.True(File.Exists(SocketPath), $"charon did not create {SocketPath} within 5 s");
    }

    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            await p.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        await Shell.TryRunAsync("ip", ["netns", "del", _namespace]);
        Directory.Delete(_directory, recursive: true);
    }
}
