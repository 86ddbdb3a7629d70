using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Overlay.Lab;
using Overlay.Testing;

namespace Overlay.Hosting.Tests;

/// <summary>The sample agent (samples/Overlay.Agent) as the privileged tests start it, and checks of a
/// lab node's agent from inside its namespace. The guards and shared helpers are Overlay.Testing's
/// <see cref="Privileged"/>.</summary>
internal static class SampleAgent
{
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
    public static string Dll
    {
        get
        {
            string configuration = typeof(SampleAgent).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
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
    public static string CopyForOtherUsers()
    {
        string source = Path.GetDirectoryName(Dll)!;
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
}
