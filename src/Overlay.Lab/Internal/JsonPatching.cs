using System.Text.Json.Nodes;

namespace Overlay.Lab.Internal;

/// <summary>JSON merge patch (RFC 7386) and the part of Kubernetes' strategic merge patch that
/// node objects need: lists merged by key (<c>status.conditions</c>, <c>status.addresses</c> by
/// <c>type</c>), primitive lists merged as sets (<c>spec.podCIDRs</c>), everything else as in a
/// merge patch. <c>$</c> directives are ignored.</summary>
internal static class JsonPatching
{
    private static readonly Dictionary<string, string> MergeKeys = new(StringComparer.Ordinal)
    {
        ["status.conditions"] = "type",
        ["status.addresses"] = "type",
        ["spec.containers"] = "name",
    };

    private static readonly HashSet<string> SetLists = new(StringComparer.Ordinal) { "spec.podCIDRs", "metadata.finalizers" };

    public static void Apply(JsonObject target, JsonObject patch, bool strategic) => Merge(target, patch, strategic, string.Empty);

    private static void Merge(JsonObject target, JsonObject patch, bool strategic, string path)
    {
        foreach ((string key, JsonNode? value) in patch)
        {
            if (strategic && key.StartsWith('$'))
            {
                continue;
            }

            string childPath = path.Length == 0 ? key : path + "." + key;
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject patchObject)
            {
                if (target[key] is not JsonObject targetObject)
                {
                    targetObject = [];
                    target[key] = targetObject;
                }

                Merge(targetObject, patchObject, strategic, childPath);
            }
            else if (strategic && value is JsonArray patchArray && target[key] is JsonArray targetArray)
            {
                if (MergeKeys.TryGetValue(childPath, out string? mergeKey))
                {
                    MergeByKey(targetArray, patchArray, mergeKey, childPath);
                }
                else if (SetLists.Contains(childPath))
                {
                    foreach (JsonNode? item in patchArray)
                    {
                        if (!targetArray.Any(existing => JsonNode.DeepEquals(existing, item)))
                        {
                            targetArray.Add(item?.DeepClone());
                        }
                    }
                }
                else
                {
                    target[key] = patchArray.DeepClone();
                }
            }
            else
            {
                target[key] = WithoutNulls(value);
            }
        }
    }

    private static void MergeByKey(JsonArray target, JsonArray patch, string mergeKey, string path)
    {
        foreach (JsonNode? item in patch)
        {
            if (item is not JsonObject patchItem)
            {
                continue;
            }

            string? key = patchItem[mergeKey]?.ToString();
            JsonObject? existing = target.OfType<JsonObject>().FirstOrDefault(o => o[mergeKey]?.ToString() == key);
            if (patchItem["$patch"]?.ToString() == "delete")
            {
                if (existing is not null)
                {
                    target.Remove(existing);
                }
            }
            else if (existing is null)
            {
                target.Add(WithoutNulls(patchItem));
            }
            else
            {
                Merge(existing, patchItem, strategic: true, path);
            }
        }
    }

    private static JsonNode? WithoutNulls(JsonNode node)
    {
        JsonNode copy = node.DeepClone();
        if (copy is JsonObject o)
        {
            foreach (string key in o.Where(p => p.Value is null || p.Key.StartsWith('$')).Select(p => p.Key).ToList())
            {
                o.Remove(key);
            }
        }

        return copy;
    }
}
