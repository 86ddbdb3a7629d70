using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Overlay.Netlink.Internal.Interop;

namespace Overlay.Netlink;

/// <summary>
/// A Linux network namespace, held open by a file descriptor. Named namespaces live in
/// <c>/run/netns/NAME</c> exactly as <c>ip netns</c> creates them, so both tools see the same ones.
/// </summary>
/// <remarks>
/// A namespace belongs to a thread, and awaits hop threads; so code that must run inside one (opening
/// a netlink, UDP or TUN handle, writing a sysctl) runs on a dedicated new thread that enters the
/// namespace with <c>setns</c> and exits afterwards. Pool threads never change namespace. Handles
/// opened that way stay in the namespace for their whole life and can be used from any thread.
/// </remarks>
public sealed class NetworkNamespace : IDisposable
{
    /// <summary>The directory where named namespaces are bind-mounted (as by <c>ip netns add</c>).</summary>
    public const string NamedNamespaceDirectory = "/run/netns";

    private static readonly Lock SharedMountLock = new();
    private static bool s_sharedMountDone;
    private readonly SafeFileHandle _handle;

    private NetworkNamespace(SafeFileHandle handle, string? name)
    {
        _handle = handle;
        Name = name;
    }

    /// <summary>The name for a named namespace, or null.</summary>
    public string? Name { get; }

    /// <summary>The path of a named namespace's file.</summary>
    /// <param name="name">The name.</param>
    /// <returns><c>/run/netns/NAME</c>.</returns>
    public static string PathOf(string name)
    {
        ValidateName(name);
        return Path.Combine(NamedNamespaceDirectory, name);
    }

    /// <summary>True when a named namespace exists.</summary>
    /// <param name="name">The name.</param>
    /// <returns>True when <c>/run/netns/NAME</c> exists.</returns>
    public static bool Exists(string name) => File.Exists(PathOf(name));

    /// <summary>Creates a new named namespace (like <c>ip netns add NAME</c>) and opens it.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The open namespace; dispose it to close the descriptor (the namespace stays until <see cref="Delete"/>).</returns>
    /// <exception cref="IOException">The name exists, or a system call failed.</exception>
    public static NetworkNamespace Create(string name)
    {
        string path = PathOf(name);
        Directory.CreateDirectory(NamedNamespaceDirectory);
        EnsureSharedMount();
        using (new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
        }

        try
        {
            RunOnNewThread(() =>
            {
                Check(NamespaceInterop.Unshare(NamespaceInterop.CloneNewNet), "unshare(CLONE_NEWNET)");
                Check(NamespaceInterop.Mount("/proc/thread-self/ns/net", path, "none", NamespaceInterop.MsBind, 0), $"mount --bind net namespace on {path}");
                return 0;
            });
            return new NetworkNamespace(OpenFile(path), name);
        }
        catch
        {
            NamespaceInterop.Umount2(path, NamespaceInterop.MntDetach);
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Opens an existing named namespace.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The namespace.</returns>
    public static NetworkNamespace Open(string name) => new(OpenFile(PathOf(name)), name);

    /// <summary>Opens a namespace file, e.g. <c>/proc/PID/ns/net</c>.</summary>
    /// <param name="path">The path.</param>
    /// <returns>The namespace.</returns>
    public static NetworkNamespace OpenPath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new NetworkNamespace(OpenFile(path), null);
    }

    /// <summary>Opens the namespace of the calling thread.</summary>
    /// <returns>The namespace.</returns>
    public static NetworkNamespace OpenCurrent() => new(OpenFile("/proc/thread-self/ns/net"), null);

    /// <summary>Creates an unnamed namespace that lives as long as this object (and any handle opened in it).</summary>
    /// <returns>The namespace.</returns>
    public static NetworkNamespace CreateAnonymous()
    {
        SafeFileHandle handle = RunOnNewThread(() =>
        {
            Check(NamespaceInterop.Unshare(NamespaceInterop.CloneNewNet), "unshare(CLONE_NEWNET)");
            return OpenFile("/proc/thread-self/ns/net");
        });
        return new NetworkNamespace(handle, null);
    }

    /// <summary>Deletes a named namespace (like <c>ip netns delete NAME</c>): unmounts and removes its file.</summary>
    /// <param name="name">The name.</param>
    /// <returns>False when it did not exist.</returns>
    public static bool Delete(string name)
    {
        string path = PathOf(name);
        if (!File.Exists(path))
        {
            return false;
        }

        NamespaceInterop.Umount2(path, NamespaceInterop.MntDetach);
        File.Delete(path);
        return true;
    }

    /// <summary>Runs <paramref name="function"/> on a new thread inside this namespace and waits for it.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="function">Synchronous code; do not await inside it (awaits would leave the thread).</param>
    /// <returns>The result.</returns>
    public T Run<T>(Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        return RunOnNewThread(() =>
        {
            Enter();
            return function();
        });
    }

    /// <summary>Runs <paramref name="action"/> on a new thread inside this namespace and waits for it.</summary>
    /// <param name="action">Synchronous code.</param>
    public void Run(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Run(() =>
        {
            action();
            return 0;
        });
    }

    /// <summary>Runs <paramref name="function"/> on a new thread inside this namespace without blocking the caller.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="function">Synchronous code.</param>
    /// <returns>A task with the result.</returns>
    public Task<T> RunAsync<T>(Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Enter();
                completion.SetResult(function());
            }
#pragma warning disable CA1031 // the exception is handed to the awaiting caller
            catch (Exception ex)
#pragma warning restore CA1031
            {
                completion.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "netns",
        };
        thread.UnsafeStart();
        return completion.Task;
    }

    /// <summary>Opens a netlink client whose sockets live in this namespace.</summary>
    /// <param name="options">Options; <see cref="NetlinkClientOptions.NetworkNamespace"/> is set to this namespace.</param>
    /// <returns>The client.</returns>
    public NetlinkClient OpenNetlinkClient(NetlinkClientOptions? options = null) =>
        NetlinkClient.Open((options ?? new NetlinkClientOptions()) with { NetworkNamespace = this });

    /// <summary>Creates a socket inside this namespace (e.g. a UDP socket for a tunnel).</summary>
    /// <param name="addressFamily">The family.</param>
    /// <param name="socketType">The type.</param>
    /// <param name="protocolType">The protocol.</param>
    /// <returns>The socket.</returns>
    public Socket CreateSocket(AddressFamily addressFamily, SocketType socketType, ProtocolType protocolType) =>
        Run(() => new Socket(addressFamily, socketType, protocolType));

    /// <summary>Closes the descriptor. A named namespace remains until <see cref="Delete"/>.</summary>
    public void Dispose() => _handle.Dispose();

    /// <inheritdoc />
    public override string ToString() => Name ?? "(anonymous network namespace)";

    internal SafeFileHandle Handle => _handle;

    private void Enter() =>
        Check(NamespaceInterop.SetNs(_handle, NamespaceInterop.CloneNewNet), $"setns({this})");

    private static T RunOnNewThread<T>(Func<T> function)
    {
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = function();
            }
#pragma warning disable CA1031 // rethrown on the calling thread
            catch (Exception ex)
#pragma warning restore CA1031
            {
                error = ExceptionDispatchInfo.Capture(ex);
            }
        })
        {
            IsBackground = true,
            Name = "netns",
        };
        thread.UnsafeStart();
        thread.Join();
        error?.Throw();
        return result;
    }

    private static SafeFileHandle OpenFile(string path)
    {
        int fd = NamespaceInterop.Open(path, NamespaceInterop.ORdOnly | NamespaceInterop.OCloexec, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"open {path}: {NetlinkException.ErrnoName(errno)} ({errno})", errno);
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    private static void EnsureSharedMount()
    {
        // As ip netns does: make /run/netns a shared mount so the bind mounts propagate to
        // other mount namespaces; bind it onto itself first when it is not a mount point yet.
        // Once per process, serialised, so parallel creators do not stack bind mounts.
        lock (SharedMountLock)
        {
            if (s_sharedMountDone)
            {
                return;
            }

            if (NamespaceInterop.Mount(string.Empty, NamedNamespaceDirectory, "none", NamespaceInterop.MsShared | NamespaceInterop.MsRec, 0) != 0
                && Marshal.GetLastPInvokeError() == LinuxErrno.EINVAL
                && NamespaceInterop.Mount(NamedNamespaceDirectory, NamedNamespaceDirectory, "none", NamespaceInterop.MsBind | NamespaceInterop.MsRec, 0) == 0)
            {
                NamespaceInterop.Mount(string.Empty, NamedNamespaceDirectory, "none", NamespaceInterop.MsShared | NamespaceInterop.MsRec, 0);
            }

            s_sharedMountDone = true;
        }
    }

    private static void Check(int result, string operation)
    {
        if (result != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{operation}: {NetlinkException.ErrnoName(errno)} ({errno})", errno);
        }
    }

    private static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
        {
            throw new ArgumentException($"'{name}' is not a valid namespace name.", nameof(name));
        }
    }
}
