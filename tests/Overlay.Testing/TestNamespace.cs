using System.Diagnostics;
using System.Text.Json;
using Overlay.Netlink;
using Xunit;

namespace Overlay.Testing;

/// <summary>
/// A fresh named network namespace (<c>ovl-t-PID-RANDOM</c> under /run/netns, created through the library so
/// that <c>ip -n NAME</c> sees it), with iproute2 inside it as the independent oracle, code run on a thread
/// inside it, and a netlink client inside it. Deleted on dispose, also when the test failed; leftovers of
/// dead test processes are removed on first use.
/// </summary>
public sealed class TestNamespace : IDisposable
{
    /// <summary>The prefix of every test namespace's name (a test that makes its own names uses it too,
    /// followed by <c>PID-</c>, so that leftovers are cleaned up).</summary>
    public const string Prefix = "ovl-t-";

    private static int s_cleaned;
    private NetlinkClient? _client;

    private TestNamespace(string name, NetworkNamespace ns)
    {
        Name = name;
        Namespace = ns;
    }

    /// <summary>The namespace's name (<c>ip -n NAME</c>).</summary>
    public string Name { get; }

    /// <summary>The open namespace.</summary>
    public NetworkNamespace Namespace { get; }

    /// <summary>A netlink client inside the namespace, with the options given to <see cref="Create"/>.</summary>
    public NetlinkClient Client => _client!;

    /// <summary>Creates a namespace.</summary>
    /// <param name="options">Options of <see cref="Client"/>.</param>
    /// <param name="loopbackUp">Set <c>lo</c> up (for tests that use 127.0.0.1 inside).</param>
    /// <returns>The namespace; dispose it.</returns>
    public static TestNamespace Create(NetlinkClientOptions? options = null, bool loopbackUp = false)
    {
        CleanLeftovers();
        string name = $"{Prefix}{Environment.ProcessId}-{Random.Shared.Next(0x100000, 0xFFFFFF):x6}";
        NetworkNamespace ns = NetworkNamespace.Create(name);
        var created = new TestNamespace(name, ns);
        try
        {
            created._client = ns.OpenNetlinkClient(options);
            if (loopbackUp)
            {
                created.Ip("link", "set", "lo", "up");
            }

            return created;
        }
        catch
        {
            created.Dispose();
            throw;
        }
    }

    /// <summary>Runs <c>ip -n NAME ARGUMENTS</c> (one string, split like a command line) and returns stdout; fails the test on a non-zero exit.</summary>
    public string Ip(string arguments) => Run("ip", $"-n {Name} {arguments}");

    /// <summary>Runs <c>ip -n NAME ARGS…</c> and returns stdout; throws on a non-zero exit.</summary>
    public string Ip(params string[] args) => Tools.Check("ip", ["-n", Name, .. args]);

    /// <summary>Runs <c>ip -n NAME -j ARGS</c> and parses the JSON.</summary>
    public JsonElement IpJson(string arguments) => ParseJson(Run("ip", $"-n {Name} -j {arguments}"));

    /// <summary>Runs <c>bridge -n NAME -j ARGS</c> and parses the JSON.</summary>
    public JsonElement BridgeJson(string arguments) => ParseJson(Run("bridge", $"-n {Name} -j {arguments}"));

    /// <summary>Runs a command line inside the namespace (<c>ip netns exec</c>) and returns stdout; fails the test on a non-zero exit.</summary>
    public string Exec(string command) => Run("ip", $"netns exec {Name} {command}");

    /// <summary>Runs a program inside the namespace (<c>ip netns exec</c>) and returns its exit code and output.</summary>
    public (int ExitCode, string Output, string Error) Exec(string file, params string[] args) =>
        Tools.Run("ip", ["netns", "exec", Name, file, .. args]);

    /// <summary>Runs <paramref name="body"/> on a new thread inside this namespace (sockets and TUN devices it
    /// creates belong to the namespace); its exception comes back wrapped, naming the namespace.</summary>
    public T Run<T>(Func<T> body)
    {
        try
        {
            return Namespace.Run(body);
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"in namespace {Name}: {ex.Message}", ex);
        }
    }

    /// <summary>The interface index of a device, from <c>ip -j link</c>.</summary>
    public int LinkIndex(string device) => IpJson($"link show dev {device}")[0].GetProperty("ifindex").GetInt32();

    /// <summary>Creates the usual underlay (veth ul0/ul1, 198.18.0.1/24) and a vxlan device vx0 with the ip tool.</summary>
    public (int Underlay, int Vxlan) CreateUnderlayAndVxlan()
    {
        Ip("link add ul0 type veth peer name ul1");
        Ip("link set ul0 up");
        Ip("link set ul1 up");
        Ip("addr add 198.18.0.1/24 dev ul0");
        Ip("link add vx0 type vxlan id 42 local 198.18.0.1 dev ul0 dstport 4789 nolearning");
        Ip("link set vx0 up");
        return (LinkIndex("ul0"), LinkIndex("vx0"));
    }

    /// <summary>Closes the client and deletes the namespace.</summary>
    public void Dispose()
    {
        _client?.Dispose();
        Namespace.Dispose();
        NetworkNamespace.Delete(Name);
    }

    /// <summary>Runs <paramref name="file"/> with a command-line <paramref name="arguments"/> string and returns
    /// stdout; fails the test on a non-zero exit.</summary>
    public static string Run(string file, string arguments)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {arguments} failed ({process.ExitCode}): {stderr}");
        return stdout.Result;
    }

    private static JsonElement ParseJson(string text)
    {
        using JsonDocument document = JsonDocument.Parse(string.IsNullOrWhiteSpace(text) ? "[]" : text);
        return document.RootElement.Clone();
    }

    private static void CleanLeftovers()
    {
        if (Interlocked.Exchange(ref s_cleaned, 1) != 0 || !Directory.Exists(NetworkNamespace.NamedNamespaceDirectory))
        {
            return;
        }

        foreach (string path in Directory.GetFiles(NetworkNamespace.NamedNamespaceDirectory, Prefix + "*"))
        {
            string[] parts = Path.GetFileName(path)[Prefix.Length..].Split('-');
            if (parts.Length == 2 && int.TryParse(parts[0], out int pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                NetworkNamespace.Delete(Path.GetFileName(path));
            }
        }
    }
}
