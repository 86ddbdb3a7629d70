using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Overlay.Lab;
using Overlay.Testing;

namespace Overlay.Hosting.Tests;

/// <summary>Helpers of the privileged tests (Category=Privileged): skipped without root locally,
/// failed under CI=true / --fail-skips on.</summary>
internal static class Privileged
{
    public const string Category = "Privileged";

    public static void Require() => Assert.SkipUnless(Environment.IsPrivilegedProcess, "needs root (CAP_NET_ADMIN) to create network namespaces");

    /// <summary>Needs Debian's etcd: skipped with the reason locally, a failure under CI=true (test.sh installs it).</summary>
    public static void RequireEtcd()
    {
        if (Overlay.Subnets.Etcd.Tests.Support.EtcdServer.MissingReason is { } reason)
        {
            Assert.SkipWhen(Environment.GetEnvironmentVariable("CI") != "true", reason + "; run ./test.sh as root, or apt-get install etcd-server etcd-client");
            Assert.Fail(reason);
        }
    }

    /// <summary>Waits for a condition with a generous hang guard; asserts that it became true, not how fast.</summary>
    public static Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 60) => EventuallyAsync(condition, () => what, seconds);

    /// <summary>As above, describing the state only when giving up.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, Func<string> what, int seconds = 60)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"gave up waiting ({seconds} s hang guard): {(DateTime.UtcNow < deadline ? string.Empty : what())}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary><c>ip -j route show …</c> in the node (the independent oracle).</summary>
    public static async Task<IReadOnlyList<JsonElement>> RoutesAsync(LabNode node, bool ipv6, params string[] selector)
    {
        string json = await node.IpAsync(["-j", ipv6 ? "-6" : "-4", "route", "show", .. selector]);
        return [.. JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    public static string? Str(this JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) ? v.ToString() : null;

    /// <summary>An HTTP GET over a socket created inside the node's namespace: "status line|body".</summary>
    public static Task<string> HttpGetInNodeAsync(LabNode node, int port, string path)
    {
        Socket socket = node.OpenNamespace().CreateSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        return HealthServerTests.SendAsync(endpoint, $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", socket);
    }

    /// <summary>The first host address with the prefix (flannel's FLANNEL_SUBNET form).</summary>
    public static string FirstHost(IPNetwork subnet)
    {
        byte[] bytes = subnet.BaseAddress.GetAddressBytes();
        bytes[^1]++;
        return $"{new IPAddress(bytes)}/{subnet.PrefixLength}";
    }

    /// <summary>The sample agent's dll, built with this test project (same configuration).</summary>
    public static string AgentDll
    {
        get
        {
            string configuration = typeof(Privileged).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Overlay.sln")))
            {
                dir = Path.GetDirectoryName(dir);
            }

            Assert.NotNull(dir);
            string dll = Path.Combine(dir, "samples", "Overlay.Agent", "bin", configuration, "net10.0", "Overlay.Agent.dll");
            Assert.True(File.Exists(dll), $"the sample is not built: {dll}");
            return dll;
        }
    }

    /// <summary>
    /// Copies the sample agent's build output to a new world-readable directory under /tmp, so that
    /// another user (nobody) can run it wherever the clone lives — also in a directory only root can
    /// enter. The caller deletes the returned directory.
    /// </summary>
    public static string CopyAgentForOtherUsers()
    {
        string source = Path.GetDirectoryName(AgentDll)!;
        string target = Path.Combine("/tmp", "ovl-agent-copy-" + Guid.NewGuid().ToString("N")[..12]);
        const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode Enterable = Readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        Directory.CreateDirectory(target, Enterable);
        foreach (string dir in Directory.GetDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, dir)), Enterable);
        }

        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string copy = Path.Combine(target, Path.GetRelativePath(source, file));
            File.Copy(file, copy);
            File.SetUnixFileMode(copy, Readable);
        }

        return target;
    }

    public static string DotnetHost => Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    /// <summary>A started process with its output collected.</summary>
    public sealed class RunningProcess : IDisposable
    {
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();

        public RunningProcess(string file, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
        {
            var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in arguments)
            {
                info.ArgumentList.Add(a);
            }

            foreach (var (k, v) in environment ?? new Dictionary<string, string>())
            {
                info.Environment[k] = v;
            }

            Process = Process.Start(info)!;
            Process.OutputDataReceived += (_, e) => { lock (_stdout) { _stdout.AppendLine(e.Data); } };
            Process.ErrorDataReceived += (_, e) => { lock (_stderr) { _stderr.AppendLine(e.Data); } };
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }

        public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

        public async Task<int> WaitAsync(int seconds)
        {
            await Process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(seconds), TestContext.Current.CancellationToken);
            Process.WaitForExit(); // flush the output events
            return Process.ExitCode;
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit();
            }

            Process.Dispose();
        }
    }
}
