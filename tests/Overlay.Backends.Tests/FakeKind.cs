using Overlay.Backends.Reconcile;

namespace Overlay.Backends.Tests;

/// <summary>A kernel object in the fake kernel: identity plus value.</summary>
internal sealed record FakeObject(string Key, string Value)
{
    public override string ToString() => $"{Key}={Value}";
}

/// <summary>A fake kernel for one object kind: a dictionary, with failure injection and a call log.</summary>
internal sealed class FakeKind(string name, List<string> log, Func<FakeObject, bool>? isOwned = null) : KernelObjectKind<FakeObject>
{
    public Dictionary<string, FakeObject> Kernel { get; } = [];

    /// <summary>The call log, shared by the kinds of one test so that order across kinds shows.</summary>
    public List<string> Calls => log;

    public Func<FakeObject, string?>? FailInstall { get; set; }

    public Func<FakeObject, string?>? FailRemove { get; set; }

    public bool ThrowOnInstall { get; set; }

    public override string Name => name;

    public override object GetKey(FakeObject item) => item.Key;

    public override ValueTask<IReadOnlyList<KernelObjectFailure>> InstallAsync(IReadOnlyList<FakeObject> items, CancellationToken cancellationToken)
    {
        Calls.Add($"{name} install {string.Join(",", items)}");
        if (ThrowOnInstall)
        {
            throw new IOException("netlink socket closed");
        }

        var failures = new List<KernelObjectFailure>();
        for (int i = 0; i < items.Count; i++)
        {
            if (FailInstall?.Invoke(items[i]) is { } error)
            {
                failures.Add(new KernelObjectFailure(i, error));
            }
            else
            {
                Kernel[items[i].Key] = items[i];
            }
        }

        return ValueTask.FromResult<IReadOnlyList<KernelObjectFailure>>(failures);
    }

    public override ValueTask<IReadOnlyList<KernelObjectFailure>> RemoveAsync(IReadOnlyList<FakeObject> items, CancellationToken cancellationToken)
    {
        Calls.Add($"{name} remove {string.Join(",", items)}");
        var failures = new List<KernelObjectFailure>();
        for (int i = 0; i < items.Count; i++)
        {
            if (FailRemove?.Invoke(items[i]) is { } error)
            {
                failures.Add(new KernelObjectFailure(i, error));
            }
            else
            {
                Kernel.Remove(items[i].Key);
            }
        }

        return ValueTask.FromResult<IReadOnlyList<KernelObjectFailure>>(failures);
    }

    public override ValueTask<IReadOnlyList<FakeObject>> ListOwnedAsync(CancellationToken cancellationToken)
    {
        Calls.Add($"{name} list");
        return ValueTask.FromResult<IReadOnlyList<FakeObject>>([.. Kernel.Values.Where(o => isOwned?.Invoke(o) ?? true)]);
    }
}
