using System.Runtime.InteropServices;

namespace Overlay.Encap.Tests.Infrastructure;

/// <summary>
/// A throw-away named network namespace (<c>ovl&lt;pid&gt;-&lt;n&gt;</c>) created with <c>ip netns add</c> and deleted on
/// dispose. Code runs inside it on a dedicated thread that entered it with setns, so sockets and TUN devices
/// created there belong to it. Leftovers of dead test processes are removed on first use.
/// </summary>
public sealed partial class TestNamespace : IDisposable
{
    private const int CLONE_NEWNET = 0x40000000;
    private static int s_counter;
    private static int s_cleaned;

    private TestNamespace(string name) => Name = name;

    public string Name { get; }

    public static TestNamespace Create()
    {
        CleanLeftovers();
        string name = $"ovl{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}";
        Tools.Check("ip", "netns", "add", name);
        var ns = new TestNamespace(name);
        ns.Ip("link", "set", "lo", "up");
        return ns;
    }

    /// <summary>Runs iproute2 inside the namespace.</summary>
    public string Ip(params string[] args) => Tools.Check("ip", ["-n", Name, .. args]);

    /// <summary>Runs a program inside the namespace (ip netns exec).</summary>
    public (int ExitCode, string Output, string Error) Exec(string file, params string[] args) =>
        Tools.Run("ip", ["netns", "exec", Name, file, .. args]);

    /// <summary>Runs <paramref name="body"/> on a new thread that entered this namespace.</summary>
    public T Run<T>(Func<T> body)
    {
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{Name}");
                if (SetNs((int)handle.DangerousGetHandle(), CLONE_NEWNET) != 0)
                {
                    throw new InvalidOperationException($"setns {Name}: errno {Marshal.GetLastPInvokeError()}");
                }

                result = body();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException($"in namespace {Name}: {failure.Message}", failure);
        }

        return result!;
    }

    public void Dispose() => Tools.Run("ip", "netns", "del", Name);

    private static void CleanLeftovers()
    {
        if (Interlocked.Exchange(ref s_cleaned, 1) != 0 || !Directory.Exists("/var/run/netns"))
        {
            return;
        }

        foreach (string path in Directory.GetFiles("/var/run/netns", "ovl*-*"))
        {
            string file = Path.GetFileName(path);
            string pidText = file[3..file.IndexOf('-', StringComparison.Ordinal)];
            if (int.TryParse(pidText, out int pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                Tools.Run("ip", "netns", "del", file);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
