#!/usr/bin/env bash
# An office's day with yiyi: starts a community node with embedded storage,
# runs the case study's elderly canteen (甸柳新村街道第一社区) through the
# procedure with the `yiyi` commands, prints the notices and statistics, and
# keeps the node's API serving until Ctrl-C (or exits at once with --exit).
set -euo pipefail
cd "$(dirname "$0")/.."

# YIYI_BIN names a directory of already built binaries (CI's static ones).
if [ -n "${YIYI_BIN:-}" ]; then
  bin=$YIYI_BIN
else
  cargo build --release --quiet -p yiyi-node -p yiyi-cli
  bin=$PWD/target/release
fi
work=$(mktemp -d)
trap 'kill "${node_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin/yiyi-node" init --data "$work/node" --level community --name 甸柳新村街道第一社区 >/dev/null
"$bin/yiyi-node" run --data "$work/node" --api 127.0.0.1:0 --listen /ip4/127.0.0.1/tcp/0 >"$work/api" 2>/dev/null &
node_pid=$!
for _ in $(seq 50); do [ -s "$work/api" ] && break; sleep 0.1; done
export YIYI_NODE=$(awk '{print $2; exit}' "$work/api") YIYI_DATA=$work/node
y() { echo "\$ yiyi $*" | sed "s|$work|\$DATA|g"; "$bin/yiyi" --lang zh "$@"; }

echo "== 协商主体与事项目录"
y participant add --id P-party --kind party-organisation --name 第一社区党委
y participant add --id P-committee --kind residents-committee --name 第一社区居委会
y participant add --id P-reps --kind resident-representative --name 居民代表
y participant add --id P-property --kind property-management --name 物业公司
y catalogue add --category public-affairs --item 为老服务

echo "== 议题与把关"
y topic propose --id T-canteen --title 社区老年食堂 --summary 老人吃饭难，居民提出建老年食堂 \
  --category public-affairs --sub-item 为老服务 --scale major --source resident --raised-by "王五 13700000000"
y topic accept T-canteen

echo "== 协商会议，七定"
# Held today for the demonstration; without --date it falls on the next 11th.
today=$(TZ=Asia/Shanghai date +%F)
y meeting schedule --id M-1111 --topic T-canteen --form meeting --place 社区议事厅 --date "$today" \
  --participant P-party --participant P-committee --participant P-reps --participant P-property
y meeting step M-1111 sign-in --attendee "张三,13800000000" --attendee "李四,13900000000"
for step in explain-topic introduce-participants read-rules discuss; do y meeting step M-1111 $step; done
y meeting step M-1111 form-result --result 同意将约200平方米社区用房改造为老年食堂
y outcome T-canteen --meeting M-1111 --class promised --responsible 社区居委会 \
  --measures 改造社区用房，引入餐饮企业运营 --deadline 2027-03-31 --notice-period 30 --supervisor 居民代表 --spends-money
y meeting step M-1111 publish-result

echo "== 落实与评价"
y progress T-canteen --text 施工队已进场
y progress T-canteen --text 老年食堂正式开业 --completed
y followup T-canteen --summary "回访就餐老人 30 户" --households 30
y evaluate T-canteen --satisfied 41 --basically-satisfied 6 --dissatisfied 1

echo "== 公示"
"$bin/yiyi" notices
echo "== 统计"
"$bin/yiyi" stats --csv

if [ "${1:-}" = "--exit" ]; then exit 0; fi
echo "节点 API：$YIYI_NODE （Ctrl-C 结束）"
wait "$node_pid"
